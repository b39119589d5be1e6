"""Adapter: the anthropic SDK, behind the one call the agent loop needs.

Retries are the SDK's own (``max_retries``: 408, 409, 429 and 5xx, 529 overloaded
included, honouring ``retry-after``/``retry-after-ms``); nothing here retries again. What
still fails after them comes back as an :class:`ApiFailure` value, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import anthropic

from bot.agents.budget import Usage, turn_usage

DEFAULT_BASE_URL = "https://api.anthropic.com"


@dataclass(frozen=True)
class Reply:
    """One model response: content blocks as request params, ready to send back."""

    content: list[dict[str, Any]]
    stop_reason: str
    usage: Usage


@dataclass(frozen=True)
class ApiFailure:
    """A request that failed after the SDK's retries."""

    status: int | None  # None: no HTTP response (connection error, timeout)
    kind: str  # the API's error type: overloaded_error, rate_limit_error, ...
    message: str
    requests: int

    def describe(self) -> str:
        status = f"HTTP {self.status} " if self.status else ""
        tries = f" after {self.requests} attempts" if self.requests > 1 else ""
        return f"the Messages API failed{tries}: {status}{self.kind}: {self.message}"


class MessagesClient(Protocol):
    def send(self, params: dict[str, Any], timeout: float) -> Reply | ApiFailure: ...


class AnthropicClient:
    """``messages.create`` through the real SDK."""

    def __init__(
        self, api_key: str, base_url: str | None, max_retries: int, timeout: float
    ) -> None:
        self.max_retries = max_retries
        self._sdk = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url or DEFAULT_BASE_URL,
            max_retries=max_retries,
            timeout=timeout,
        )

    def send(self, params: dict[str, Any], timeout: float) -> Reply | ApiFailure:
        try:
            raw = self._sdk.messages.with_raw_response.create(**params, timeout=timeout)
            message = raw.parse()
        except anthropic.APIStatusError as exc:
            retried = exc.status_code in (408, 409, 429) or exc.status_code >= 500
            return ApiFailure(
                exc.status_code,
                str(exc.type or "api_error"),
                exc.api_message or str(exc),
                self.max_retries + 1 if retried else 1,
            )
        except anthropic.APIConnectionError as exc:
            return ApiFailure(None, type(exc).__name__, str(exc), self.max_retries + 1)
        usage = message.usage
        return Reply(
            content=[_block_param(block) for block in message.content],
            stop_reason=str(message.stop_reason or "end_turn"),
            usage=turn_usage(
                params["model"],
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_input_tokens or 0,
                usage.cache_creation_input_tokens or 0,
                requests=raw.retries_taken + 1,
            ),
        )


def _block_param(block: Any) -> dict[str, Any]:
    """A response content block as it must be sent back in the next request."""
    if block.type == "tool_use":
        raw_input = block.input
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": raw_input}
    if block.type == "text":
        return {"type": "text", "text": block.text}
    return block.model_dump(mode="json", exclude_none=True)
