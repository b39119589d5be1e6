"""A loopback fake of Anthropic's Messages API, for the real ``anthropic`` SDK to talk to.

``FakeMessagesAPI`` serves ``POST /v1/messages`` on 127.0.0.1 (a free port) and answers
with *scripted* conversations: a list of replies/faults played in order, or a function of
the request. It speaks the real shapes (message id/type/role/content/model/stop_reason/
usage; errors as ``{"type": "error", "error": {"type", "message"}}``), rejects requests the
real API would reject (roles out of order, a tool_use without its tool_result, more than
four cache breakpoints, a missing key), records every request (headers without the key),
and counts tokens with a deterministic estimate (JSON size / 4) and prompt caching: a
breakpoint's prefix is written to the cache, and a later request whose prefix matches a
cached one, at a breakpoint or up to 20 blocks before it, reads it.

    with FakeMessagesAPI([reply(tool_use("give_up", reason="no"))]) as fake:
        client = anthropic.Anthropic(base_url=fake.url, api_key="test-key")
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOKBACK_BLOCKS = 20
MAX_BREAKPOINTS = 4
_ids = itertools.count(1)


# --- building scripted replies ---------------------------------------------------------------


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(name: str, input: Any = None, *, id: str | None = None, **fields: Any) -> dict:
    """A tool_use block; ``input`` may be anything (malformed on purpose), else ``fields``."""
    return {
        "type": "tool_use",
        "id": id or f"toolu_fake_{next(_ids):05d}",
        "name": name,
        "input": fields if input is None else input,
    }


def reply(
    *blocks: dict[str, Any], stop_reason: str | None = None, output_tokens: int | None = None
):
    """A scripted assistant message; stop_reason defaults from its blocks."""
    if stop_reason is None:
        stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    return {"content": list(blocks), "stop_reason": stop_reason, "output_tokens": output_tokens}


@dataclass(frozen=True)
class Fault:
    """An error response in the API's shape, e.g. ``Fault(529, "overloaded_error")``."""

    status: int
    kind: str
    message: str = "scripted fault"
    retry_after: float | None = None  # seconds, sent as `retry-after`
    retry_after_ms: float | None = None  # sent as `retry-after-ms` (fast tests)


RATE_LIMITED = Fault(429, "rate_limit_error", "Number of requests has exceeded your rate limit")
OVERLOADED = Fault(529, "overloaded_error", "Overloaded", retry_after_ms=10)
SERVER_ERROR = Fault(500, "api_error", "Internal server error", retry_after_ms=10)


# --- what the fake saw ----------------------------------------------------------------------


@dataclass
class Request:
    """One request as received, and what the fake answered."""

    index: int
    body: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def turn(self) -> int:
        """How many assistant turns the conversation already has (0 on its first request)."""
        return sum(1 for m in self.body.get("messages", ()) if m.get("role") == "assistant")

    @property
    def task(self) -> str:
        """The text of the conversation's first user message (identifies the agent)."""
        messages = self.body.get("messages") or [{}]
        return _text_of(messages[0].get("content", ""))

    @property
    def last_user(self) -> list[dict[str, Any]]:
        """The blocks of the newest user message (tool results, nudges)."""
        content = (self.body.get("messages") or [{}])[-1].get("content", [])
        return [{"type": "text", "text": content}] if isinstance(content, str) else content

    @property
    def tool_names(self) -> list[str]:
        """The names of the tools the request offers (which role the agent plays)."""
        return [str(t.get("name")) for t in self.body.get("tools", ()) if isinstance(t, dict)]

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        return [b for b in self.last_user if b.get("type") == "tool_result"]

    @property
    def usage(self) -> dict[str, int]:
        return self.response.get("usage", {})


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict))


Script = Sequence[dict[str, Any] | Fault] | Callable[[Request], dict[str, Any] | Fault]


class FakeMessagesAPI:
    """The fake server; use as a context manager. ``requests`` lists everything it received."""

    def __init__(self, script: Script = (), *, min_cache_tokens: int = 0) -> None:
        self.script = script
        self.min_cache_tokens = min_cache_tokens
        self.requests: list[Request] = []
        self._cache: set[str] = set()
        self._played = 0  # list scripts: steps used so far
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeMessagesAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def play(self, script: Script) -> None:
        """Replace the script (the request log and the cache stay)."""
        with self._lock:
            self.script, self._played = script, 0

    @property
    def answered(self) -> list[Request]:
        """The requests that got a message (status 200)."""
        return [r for r in self.requests if r.status == 200]

    # --- one request --------------------------------------------------------------------

    def handle(self, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict]:
        with self._lock:
            request = Request(
                len(self.requests),
                body if isinstance(body, dict) else {},
                {
                    k: v
                    for k, v in headers.items()
                    if k.lower() not in ("x-api-key", "authorization")
                },
                time.monotonic(),
            )
            self.requests.append(request)
            status, payload, extra = self._answer(request, body, headers)
            request.status, request.response = status, payload
            return status, payload, extra

    def _answer(self, request: Request, body: Any, headers: dict[str, str]):
        lower = {k.lower(): v for k, v in headers.items()}
        if not lower.get("x-api-key") and not lower.get("authorization"):
            return _error(401, "authentication_error", "x-api-key header is required")
        problem = invalid(body)
        if problem:
            return _error(400, "invalid_request_error", problem)
        step = self._next(request)
        if step is None:
            return _error(400, "invalid_request_error", "fake: the script has no reply left")
        if isinstance(step, Fault):
            extra = {}
            if step.retry_after is not None:
                extra["retry-after"] = f"{step.retry_after:g}"
            if step.retry_after_ms is not None:
                extra["retry-after-ms"] = f"{step.retry_after_ms:g}"
            status, payload, _ = _error(step.status, step.kind, step.message)
            return status, payload, extra
        return 200, self._message(request, body, step), {"request-id": f"req_fake_{request.index}"}

    def _next(self, request: Request) -> dict[str, Any] | Fault | None:
        if callable(self.script):
            return self.script(request)
        if self._played >= len(self.script):
            return None
        self._played += 1
        return self.script[self._played - 1]

    def _message(self, request: Request, body: dict[str, Any], step: dict[str, Any]) -> dict:
        content = [dict(b) for b in step["content"]]
        usage = self.count(body)
        usage["output_tokens"] = step.get("output_tokens") or max(1, _size(content) // 4)
        return {
            "id": f"msg_fake_{request.index:04d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": step["stop_reason"],
            "stop_sequence": None,
            "usage": usage,
        }

    def count(self, body: dict[str, Any]) -> dict[str, int]:
        """Input token usage of a request, with prompt caching (updates the cache)."""
        blocks = _blocks(body)
        sizes = list(itertools.accumulate(_size(_plain(b)) // 4 + 1 for b in blocks))
        keys = [_prefix_key(body["model"], blocks[: i + 1]) for i in range(len(blocks))]
        breakpoints = [
            i for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")
        ]
        read = 0
        for bp in breakpoints:
            for i in range(bp, max(-1, bp - LOOKBACK_BLOCKS - 1), -1):
                if keys[i] in self._cache:
                    read = max(read, sizes[i])
                    break
        write = 0
        for bp in breakpoints:
            if sizes[bp] >= self.min_cache_tokens and keys[bp] not in self._cache:
                self._cache.add(keys[bp])
                write = max(write, sizes[bp] - read)
        total = sizes[-1] if sizes else 0
        return {
            "input_tokens": total - read - write,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }


def _blocks(body: dict[str, Any]) -> list[Any]:
    """The request in cache order: tools, then system blocks, then every message block."""
    blocks: list[Any] = list(body.get("tools") or [])
    system = body.get("system")
    if isinstance(system, str):
        blocks.append({"type": "text", "text": system})
    elif system:
        blocks.extend(system)
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            blocks.append({"role": message["role"], "text": content})
        else:
            blocks.extend({"role": message["role"], **b} for b in content)
    return blocks


def _plain(block: Any) -> Any:
    return (
        {k: v for k, v in block.items() if k != "cache_control"}
        if isinstance(block, dict)
        else block
    )


def _size(value: Any) -> int:
    return len(json.dumps(value, sort_keys=True, separators=(",", ":")))


def _prefix_key(model: str, blocks: list[Any]) -> str:
    text = json.dumps([model, [_plain(b) for b in blocks]], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def invalid(body: Any) -> str | None:
    """What the real API would say is wrong with this request body, or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: must be a positive integer"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if len({t.get("name") for t in body.get("tools") or []}) != len(body.get("tools") or []):
        return "tools: tool names must be unique"
    marks = sum(1 for b in _blocks(body) if isinstance(b, dict) and b.get("cache_control"))
    if marks > MAX_BREAKPOINTS:
        return (
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {marks}."
        )
    pending: set[str] = set()
    for i, message in enumerate(messages):
        role, content = message.get("role"), message.get("content")
        if role != ("user" if i % 2 == 0 else "assistant"):
            return (
                f"messages.{i}: roles must alternate between user and assistant, starting with user"
            )
        if not content:
            return f"messages.{i}: all messages must have non-empty content"
        blocks = [] if isinstance(content, str) else content
        answered = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        if role == "user":
            if pending - answered:
                return (
                    f"messages.{i}: tool_use ids were found without tool_result blocks "
                    f"immediately after: {', '.join(sorted(pending - answered))}"
                )
            if answered - pending:
                return f"messages.{i}: unexpected tool_use_id in tool_result blocks"
            pending = set()
        else:
            for b in blocks:
                if b.get("type") == "tool_use" and not isinstance(b.get("input"), dict):
                    return f"messages.{i}: tool_use.input: Input should be a valid dictionary"
            pending = {b["id"] for b in blocks if b.get("type") == "tool_use"}
    if messages[-1].get("role") != "user" and pending:
        return "the last message must not be an unanswered tool_use"
    return None


def _error(status: int, kind: str, message: str) -> tuple[int, dict[str, Any], dict]:
    return status, {"type": "error", "error": {"type": kind, "message": message}}, {}


def _handler(fake: FakeMessagesAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            if self.path.split("?")[0] != "/v1/messages":
                self._send(
                    404,
                    {"type": "error", "error": {"type": "not_found_error", "message": self.path}},
                    {},
                )
                return
            try:
                body = json.loads(raw or b"null")
            except json.JSONDecodeError:
                body = None
            status, payload, extra = fake.handle(body, dict(self.headers.items()))
            self._send(status, payload, extra)

        def _send(self, status: int, payload: dict[str, Any], extra: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    return Handler
