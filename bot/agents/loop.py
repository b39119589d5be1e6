"""The agent loop: ask the model, run its tool calls, send the results, until it is done.

It ends when the model calls ``finish`` or ``give_up``, when any budget it runs under
(its own, its recipe's, the night's) is spent, or when the Messages API fails after the
SDK's retries. Nothing the model sends can crash it: a reply without a tool call gets a
nudge, a tool call cut off by ``max_tokens`` or with malformed input gets a tool error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.agents import prompts
from bot.agents.budget import (
    Meter,
    Stopwatch,
    Usage,
    estimate_turn,
    remaining_seconds,
    reserve,
    settle,
)
from bot.agents.client import ApiFailure, MessagesClient
from bot.agents.tools import Toolbox, ToolResult

MAX_OUTPUT_TOKENS = 8192  # thinking (adaptive on newer models) counts toward it
MIN_REQUEST_SECONDS = 5.0  # a request with less time than this would only time out


@dataclass(frozen=True)
class AgentSpec:
    """One agent's job: who it talks to, what it is told first, and its turn limit."""

    model: str
    system: list[dict[str, Any]]
    task: str
    max_tokens: int = MAX_OUTPUT_TOKENS
    request_timeout: float = 300.0


@dataclass(frozen=True)
class AgentRun:
    """How an agent ended: finished | gave_up | stopped (a budget) | errored (the API)."""

    status: str
    message: str
    usage: Usage


def run_agent(
    client: MessagesClient,
    spec: AgentSpec,
    toolbox: Toolbox,
    meters: Sequence[Meter],
    clock: Callable[[], float] = time.monotonic,
) -> AgentRun:
    """Run one agent to its end; ``meters[0]`` is the agent's own (its usage is returned)."""
    mine = meters[0]
    watch = Stopwatch(meters, clock)
    tools = toolbox.schemas()
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": spec.task}]}
    ]
    last_turn: Usage | None = None
    while True:
        turn = estimate_turn(meters, last_turn)
        stop = reserve(meters, turn)
        if stop is not None:
            return AgentRun("stopped", stop, mine.used)
        params = {
            "model": spec.model,
            "max_tokens": spec.max_tokens,
            "system": spec.system,
            "tools": tools,
            "messages": with_breakpoint(messages),
        }
        timeout = max(MIN_REQUEST_SECONDS, remaining_seconds(meters, spec.request_timeout))
        try:
            reply = client.send(params, timeout)
        except BaseException:
            settle(meters, turn, Usage())
            raise
        watch.tick()
        if isinstance(reply, ApiFailure):
            settle(meters, turn, Usage(requests=reply.requests))
            return AgentRun("errored", reply.describe(), mine.used)
        settle(meters, turn, reply.usage)
        last_turn = reply.usage
        if reply.stop_reason == "refusal":
            return AgentRun("stopped", "the model declined to continue (refusal)", mine.used)
        content = reply.content or [{"type": "text", "text": "(empty reply)"}]
        calls = [block for block in content if block.get("type") == "tool_use"]
        raw_inputs = [block.get("input") for block in calls]
        for block in calls:  # what goes back to the API must be an object, whatever came
            if not isinstance(block.get("input"), dict):
                block["input"] = {}
        messages.append({"role": "assistant", "content": content})
        if not calls:
            cut = reply.stop_reason == "max_tokens"
            nudge = prompts.CUT_OFF if cut else prompts.NO_TOOL_CALL
            messages.append({"role": "user", "content": [{"type": "text", "text": nudge}]})
            continue
        results = []
        for block, raw_input in zip(calls, raw_inputs, strict=True):
            if reply.stop_reason == "max_tokens" and block is content[-1]:  # cut off mid-call
                result = ToolResult(prompts.TRUNCATED_TOOL_CALL, is_error=True)
            else:
                result = toolbox.call(str(block.get("name")), raw_input)
            if result.final is not None:
                watch.tick()
                return AgentRun(result.final, result.text, mine.used)
            results.append(_tool_result(str(block.get("id")), result))
        watch.tick()
        messages.append({"role": "user", "content": results})


def with_breakpoint(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with a cache breakpoint on the newest block only (the history is kept
    clean, so a request never carries more than the API's four breakpoints)."""
    *history, newest = messages
    blocks = [dict(block) for block in newest["content"]]
    blocks[-1]["cache_control"] = {"type": "ephemeral"}
    return [*history, {"role": newest["role"], "content": blocks}]


def _tool_result(tool_use_id: str, result: ToolResult) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": tool_use_id,
        "content": result.text or "(no output)",
    }
    if result.is_error:
        block["is_error"] = True
    return block
