"""The agent loop through the real anthropic SDK, against the loopback fake Messages API."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.agents import prompts
from bot.agents.budget import Meter
from bot.agents.client import AnthropicClient
from bot.agents.loop import AgentRun, AgentSpec, run_agent
from bot.agents.tools import FIX_TOOLS, Toolbox, Workspace
from bot.recipes.model import Limits
from tests.fakes.messages_api import (
    OVERLOADED,
    RATE_LIMITED,
    SERVER_ERROR,
    FakeMessagesAPI,
    Fault,
    Request,
    reply,
    text,
    tool_use,
)

MODEL = "claude-sonnet-5-5"
CALC = "def total(items):\n    snapshot = list(items)\n    return sum(snapshot)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/calc.py").write_text(CALC)
    return tmp_path


def run(
    fake: FakeMessagesAPI,
    tree: Path,
    *,
    max_turns: int = 8,
    max_retries: int = 2,
    task: str = "Fix pkg/calc.py line 2.",
    limits: Limits | None = None,
) -> tuple[AgentRun, list[Meter]]:
    client = AnthropicClient("test-key", fake.url, max_retries, 30)
    spec = AgentSpec(
        MODEL, prompts.system_blocks(prompts.SYSTEM_FIX, "Recipe: test\n\nRemove copies."), task
    )
    toolbox = Toolbox(Workspace(tree, ("**/*.py",), (), ()), FIX_TOOLS)
    meters = [Meter("agent", limits or Limits(turns=max_turns)), Meter("night", Limits())]
    return run_agent(client, spec, toolbox, meters), meters


def finish(summary: str = "done") -> dict:
    return reply(tool_use("finish", summary=summary))


def test_finish_ends_the_agent_and_usage_is_counted(tree: Path) -> None:
    with FakeMessagesAPI(
        [reply(text("Looks fine."), tool_use("give_up", reason="needed"))]
    ) as fake:
        result, meters = run(fake, tree)
    assert (result.status, result.message) == ("gave_up", "needed")
    usage = fake.requests[0].usage
    assert result.usage.input_tokens == usage["input_tokens"]
    assert result.usage.output_tokens == usage["output_tokens"]
    assert result.usage.cache_creation_input_tokens == usage["cache_creation_input_tokens"]
    assert (result.usage.turns, result.usage.requests) == (1, 1)
    assert result.usage.dollars > 0
    assert meters[1].used.tokens == result.usage.tokens


def test_endless_tool_calls_stop_at_the_turn_limit(tree: Path) -> None:
    def forever(request: Request) -> dict:
        return reply(tool_use("read_file", path="pkg/calc.py"))

    with FakeMessagesAPI(forever) as fake:
        result, _ = run(fake, tree, max_turns=4)
    assert result.status == "stopped"
    assert result.message == "agent turn limit reached (4 turns)"
    assert len(fake.requests) == 4
    assert all(r.status == 200 for r in fake.requests)


def test_a_tool_call_cut_off_by_max_tokens_is_not_run(tree: Path) -> None:
    cut = reply(
        tool_use(
            "edit_file", path="pkg/calc.py", old_text="    snapshot = list(items)\n", new_text=""
        ),
        stop_reason="max_tokens",
    )
    with FakeMessagesAPI([cut, finish()]) as fake:
        result, _ = run(fake, tree)
    assert result.status == "finished"
    assert (tree / "pkg/calc.py").read_text() == CALC
    (answer,) = fake.requests[1].tool_results
    assert answer["is_error"] is True
    assert "max_tokens" in answer["content"]


def test_text_cut_off_by_max_tokens_gets_a_nudge(tree: Path) -> None:
    with FakeMessagesAPI(
        [reply(text("Let me think " * 50), stop_reason="max_tokens"), finish()]
    ) as fake:
        result, _ = run(fake, tree)
    assert result.status == "finished"
    assert fake.requests[1].last_user == [
        {"type": "text", "text": prompts.CUT_OFF, "cache_control": {"type": "ephemeral"}}
    ]


def test_a_reply_without_a_tool_call_gets_a_nudge(tree: Path) -> None:
    with FakeMessagesAPI([reply(text("I would remove the copy.")), reply(), finish()]) as fake:
        result, _ = run(fake, tree)
    assert result.status == "finished"
    assert fake.requests[1].last_user[0]["text"] == prompts.NO_TOOL_CALL
    # An empty reply is sent back as a placeholder: the API rejects empty content.
    assert fake.requests[2].body["messages"][3]["content"] == [
        {"type": "text", "text": "(empty reply)"}
    ]
    assert all(r.status == 200 for r in fake.requests)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("pkg/calc.py", "expected a JSON object", id="string-input"),
        pytest.param({"path": 3}, "is not of type 'string'", id="wrong-type"),
        pytest.param({"file": "pkg/calc.py"}, "'path' is a required property", id="wrong-key"),
    ],
)
def test_malformed_tool_input_is_a_tool_error(tree: Path, raw: object, message: str) -> None:
    with FakeMessagesAPI([reply(tool_use("read_file", raw)), finish()]) as fake:
        result, _ = run(fake, tree)
    assert result.status == "finished"
    assert fake.requests[1].status == 200  # the echoed tool_use input was a valid object
    (answer,) = fake.requests[1].tool_results
    assert answer["is_error"] is True and message in answer["content"]


def test_several_tool_calls_in_one_turn_get_all_their_results(tree: Path) -> None:
    both = reply(
        tool_use("read_file", path="pkg/calc.py"),
        tool_use("search", pattern="snapshot"),
        tool_use("read_file", path="../etc/passwd"),
    )
    with FakeMessagesAPI([both, finish()]) as fake:
        run(fake, tree)
    results = fake.requests[1].tool_results
    assert [r.get("is_error", False) for r in results] == [False, False, True]
    assert "pkg/calc.py:2:" in results[1]["content"]


def test_429_is_retried_by_the_sdk_after_retry_after(tree: Path) -> None:
    limited = Fault(429, "rate_limit_error", "slow down", retry_after=1)
    with FakeMessagesAPI([limited, finish()]) as fake:
        result, _ = run(fake, tree, max_retries=2)
    assert result.status == "finished"
    assert [r.status for r in fake.requests] == [429, 200]
    waited = fake.requests[1].at - fake.requests[0].at
    assert 0.9 <= waited < 5, waited
    assert result.usage.requests == 2
    assert fake.requests[1].headers.get("x-stainless-retry-count") == "1"


def test_rate_limit_that_never_ends_is_an_error_after_the_sdk_retries(tree: Path) -> None:
    fast = Fault(429, RATE_LIMITED.kind, RATE_LIMITED.message, retry_after_ms=5)
    with FakeMessagesAPI([fast] * 5) as fake:
        result, meters = run(fake, tree, max_retries=1)
    assert result.status == "errored"
    assert len(fake.requests) == 2
    assert "HTTP 429 rate_limit_error" in result.message
    assert meters[1].used.requests == 2


def test_529_overloaded_after_the_sdk_retries_is_errored(tree: Path) -> None:
    with FakeMessagesAPI([OVERLOADED] * 3) as fake:
        result, meters = run(fake, tree, max_retries=2)
    assert result.status == "errored"
    assert "after 3 attempts" in result.message and "overloaded_error" in result.message
    assert len(fake.requests) == 3  # the SDK's own retries, and no second layer
    assert meters[0].used.requests == 3 and meters[0].used.turns == 0


def test_500_once_then_success(tree: Path) -> None:
    with FakeMessagesAPI([SERVER_ERROR, finish()]) as fake:
        result, _ = run(fake, tree)
    assert result.status == "finished"
    assert [r.status for r in fake.requests] == [500, 200]
    assert result.usage.requests == 2


def test_a_client_error_is_not_retried(tree: Path) -> None:
    with FakeMessagesAPI([Fault(400, "invalid_request_error", "bad")]) as fake:
        result, _ = run(fake, tree, max_retries=3)
    assert result.status == "errored" and "invalid_request_error: bad" in result.message
    assert len(fake.requests) == 1


def test_refusal_stops_the_agent(tree: Path) -> None:
    with FakeMessagesAPI([reply(text("No."), stop_reason="refusal")]) as fake:
        result, _ = run(fake, tree)
    assert result.status == "stopped" and "refusal" in result.message


def test_token_budget_stops_before_the_next_turn(tree: Path) -> None:
    def forever(request: Request) -> dict:
        return reply(tool_use("read_file", path="pkg/calc.py"))

    with FakeMessagesAPI(forever) as fake:
        first, _ = run(fake, tree, limits=Limits(turns=1))
        per_turn = first.usage.tokens
        result, _ = run(fake, tree, limits=Limits(tokens=int(per_turn * 2.5)))
    assert result.status == "stopped" and "agent token budget reached" in result.message
    assert result.usage.tokens <= per_turn * 2.5
    assert result.usage.turns == 2  # a third turn, estimated from the second, would not fit


def test_cache_breakpoints_and_cache_reads(tree: Path) -> None:
    script = [reply(tool_use("read_file", path="pkg/calc.py")), finish(), finish()]
    with FakeMessagesAPI(script) as fake:
        run(fake, tree, task="First finding.")
        run(fake, tree, task="Second finding.")
    first, second, other_agent = fake.requests
    for request in fake.requests:
        body = request.body
        assert [t["name"] for t in body["tools"]] == list(FIX_TOOLS)
        assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
        assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
        marks = [
            b
            for m in body["messages"]
            for b in m["content"]
            if isinstance(b, dict) and "cache_control" in b
        ]
        assert len(marks) == 1  # history stays clean: never more than 4 breakpoints
    assert first.usage["cache_read_input_tokens"] == 0
    assert first.usage["cache_creation_input_tokens"] > 0
    # The second turn re-reads the whole first request (tools, system, task) from cache.
    assert second.usage["cache_read_input_tokens"] >= first.usage["cache_creation_input_tokens"]
    # Another agent shares the prefix up to the recipe's instructions.
    assert (
        0
        < other_agent.usage["cache_read_input_tokens"]
        < first.usage["cache_creation_input_tokens"]
    )


def test_thinking_blocks_are_sent_back_unchanged(tree: Path) -> None:
    thinking = {"type": "thinking", "thinking": "The copy is only read.", "signature": "sig-1"}
    with FakeMessagesAPI([reply(thinking, tool_use("search", pattern="x")), finish()]) as fake:
        result, _ = run(fake, tree)
    assert result.status == "finished"
    assistant = fake.requests[1].body["messages"][1]
    assert assistant["role"] == "assistant" and assistant["content"][0] == thinking


def test_a_complete_tool_call_before_cut_off_text_still_runs(tree: Path) -> None:
    cut = reply(
        tool_use("search", pattern="snapshot"), text("And then I"), stop_reason="max_tokens"
    )
    with FakeMessagesAPI([cut, finish()]) as fake:
        run(fake, tree)
    (answer,) = fake.requests[1].tool_results
    assert "is_error" not in answer and "pkg/calc.py:2:" in answer["content"]


def test_parallel_agents_never_pass_the_nights_turn_budget(tmp_path: Path) -> None:
    """Checking the budget and holding room for a turn is one step: four agents running at
    once, each asking for turns forever, get exactly the night's six between them."""

    def slow_forever(request: Request) -> dict:
        time.sleep(0.1)  # every agent's request is in flight when the others decide
        return reply(tool_use("read_file", path="pkg/calc.py"))

    night = Meter("night", Limits(turns=6))
    trees = []
    for i in range(4):
        (tmp_path / f"t{i}" / "pkg").mkdir(parents=True)
        (tmp_path / f"t{i}" / "pkg/calc.py").write_text(CALC)
        trees.append(tmp_path / f"t{i}")
    with FakeMessagesAPI(slow_forever) as fake:
        client = AnthropicClient("test-key", fake.url, 0, 30)
        spec = AgentSpec(MODEL, prompts.system_blocks(prompts.SYSTEM_FIX, "Recipe: t"), "Fix.")

        def one(tree: Path) -> AgentRun:
            toolbox = Toolbox(Workspace(tree, ("**/*.py",), (), ()), FIX_TOOLS)
            return run_agent(client, spec, toolbox, [Meter("agent", Limits(turns=50)), night])

        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(one, trees))
    assert night.used.turns == 6 == len(fake.requests)
    assert all(r.status == "stopped" for r in runs)
    assert all(r.message == "night turn limit reached (6 turns)" for r in runs)
    assert (night.held_turns, night.held_tokens) == (0, 0)  # every hold was let go
