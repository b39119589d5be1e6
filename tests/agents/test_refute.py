"""The refuter: a second agent tries to write a test that tells an agent's fix from the base.

Each night here is real: git worktrees, ruff, pytest, bubblewrap, the anthropic SDK, and a
scripted model behind the fake Messages API that plays both the fixer and the refuter
(told apart by the refuter's `write_test` tool). The fixer's fix passes the repository's
own tests, which only call ``spread`` with lists; with an iterator it breaks.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import night
from bot.agents.refute import Refuter, RefuteToolbox, for_night
from bot.agents.session import AgentSession
from bot.agents.tools import Workspace
from bot.config import AgentSettings, RepoConfig, config_schema, load_config
from bot.errors import UserError
from bot.fix import guard
from bot.fix.fixers import EditFixer
from bot.recipes.model import Limits
from bot.report.progress import silent
from tests.conftest import git, init_repo, needs_bwrap
from tests.fakes.messages_api import (
    OVERLOADED,
    FakeMessagesAPI,
    Fault,
    Request,
    reply,
    tool_use,
)

KEY = "sk-ant-test-refuter-key"
CALC = """\
def spread(items: list):  # callers may pass any iterable, despite the hint
    snapshot = list(items)
    return max(snapshot) - min(snapshot)
"""
TESTS = """\
from pkg.calc import spread
from pkg.other import helper


def test_spread():
    assert spread([1, 5, 3]) == 4 * helper()
"""
OTHER = """\
import os


def helper():
    return 1
"""
WRONG_FIX = {
    "path": "pkg/calc.py",
    "old_text": "    snapshot = list(items)\n    return max(snapshot) - min(snapshot)\n",
    "new_text": "    return max(items) - min(items)\n",
}
FIXER_SUMMARY = "Removed the copy: max and min read the items directly."
REFUTING = """\
from pkg.calc import spread


def test_spread_of_an_iterator():
    assert spread(iter([1, 5, 3])) == 4
"""
FAILS_ON_BASE_TOO = """\
from pkg.calc import spread


def test_spread_is_wrong_everywhere():
    assert spread([1, 5]) == 5
"""


def is_refuter(request: Request) -> bool:
    return any(tool["name"] == "write_test" for tool in request.body.get("tools", ()))


def allowed_path(request: Request) -> str:
    found = re.search(r"tests/nightcrew_refute_\w+\.py", request.task)
    assert found, request.task
    return found.group(0)


def fixer(request: Request) -> dict:
    if request.turn == 0:
        return reply(tool_use("edit_file", **WRONG_FIX))
    return reply(tool_use("finish", summary=FIXER_SUMMARY))


def refuter_writing(test: str, *, stray: bool = False):
    """A script: the fixer above, and a refuter that writes ``test`` (after stray writes)."""

    def script(request: Request) -> dict:
        if not is_refuter(request):
            return fixer(request)
        if request.turn == 0:
            strays = [
                tool_use("write_test", path="pkg/calc.py", text=test),
                tool_use("write_test", path=".github/workflows/refute.yml", text="on: push\n"),
                tool_use("write_test", path="../outside_test.py", text=test),
            ]
            wanted = tool_use("write_test", path=allowed_path(request), text=test)
            return reply(*(strays if stray else []), wanted)
        return reply(tool_use("finish", summary="An iterator is read twice."))

    return script


def make_repo(tmp_path: Path, config: str = "") -> Path:
    return init_repo(
        tmp_path / "repo",
        {
            "pkg/__init__.py": "",
            "pkg/calc.py": CALC,
            "pkg/other.py": OTHER,
            "tests/__init__.py": "",
            "tests/test_calc.py": TESTS,
            ".github/nightcrew.yml": (
                "version: 1\ntest_command: python -m pytest -q -p no:cacheprovider\n" + config
            ),
        },
    )


def run(tmp_path: Path, script, *, config: str = "", recipes: tuple[str, ...] = ()):
    repo = make_repo(tmp_path, config)
    with FakeMessagesAPI(script) as fake:
        report = night.run_night(
            night.NightOptions(
                repo,
                recipe_ids=recipes or ("unnecessary-copies-deep",),
                out=tmp_path / "out",
                env={**os.environ, "ANTHROPIC_BASE_URL": fake.url},
                api_key=KEY,
                jobs=2,
            ),
            silent,
        )
    return repo, fake, report.to_json(), report.to_markdown()


def agent_fix(report: dict) -> dict:
    (fix,) = [f for f in report["fixes"] if f["recipe"] == "unnecessary-copies-deep"]
    return fix


def refuter_requests(fake: FakeMessagesAPI) -> list[Request]:
    return [r for r in fake.requests if is_refuter(r)]


def no_refuting_test_anywhere(repo: Path, out: Path) -> None:
    """No branch and no patch holds a refuter's test; the checkout is untouched."""
    for branch in git(repo, "branch", "--list", "--format=%(refname:short)").split():
        assert "nightcrew_refute" not in git(repo, "ls-tree", "-r", "--name-only", branch)
    for patch in out.glob("patches/*.patch"):
        assert "nightcrew_refute" not in patch.read_text()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


# --- (a) a test that tells the fix from the base rejects it -------------------------------------


@needs_bwrap
def test_a_test_that_passes_on_the_base_and_fails_with_the_fix_rejects_it(
    tmp_path: Path,
) -> None:
    repo, fake, report, markdown = run(tmp_path, refuter_writing(REFUTING, stray=True))
    fix = agent_fix(report)
    assert (fix["status"], fix["reason_kind"]) == ("rejected", "refuted"), fix
    assert fix["reason"].startswith(
        "a test written to refute it passes on the base and fails with the fix"
    )
    assert fix["reason"].endswith(
        "(2 runs each, sandboxed): tests.nightcrew_refute_"
        f"{fix['fingerprint'][:8]}::test_spread_of_an_iterator"
    )
    assert fix["refutation"]["runs"][-1].startswith("fails with the fix again")
    assert fix["branch"] is None and fix["patch"] is None
    assert fix["refutation"]["verdict"] == "refuted"
    assert fix["refutation"]["test"] == REFUTING
    assert fix["verification"][-1]["step"] == "refute" and not fix["verification"][-1]["ok"]
    # the test's text is in report.md, fenced
    assert "## Refuted fixes" in markdown
    assert "```python\n" + REFUTING + "```" in markdown
    assert git(repo, "branch", "--list", "nightcrew/*") == ""
    assert not list((tmp_path / "out").glob("patches/*.patch"))
    no_refuting_test_anywhere(repo, tmp_path / "out")
    # Nightcrew ran the test itself, four times (base, fix, base, fix), in the sandbox
    purposes = [t["purpose"] for t in report["test_runs"] if t["purpose"].startswith("refute")]
    assert len(purposes) == 4 and purposes[0].endswith("-base") and purposes[1].endswith("-fix")
    assert report["sandbox"].startswith("bubblewrap")
    # the stray writes were refused by the tool; only the allowed one was written
    results = refuter_requests(fake)[1].tool_results
    assert [bool(r.get("is_error")) for r in results] == [True, True, True, False]
    assert "refused; the one file you may write is tests/nightcrew_refute_" in results[0]["content"]
    assert "refused; the one file you may write" in results[1]["content"]
    assert "'..' is refused" in results[2]["content"]
    assert report["agents"]["refutations"] == {"refuted": 1}
    # remembered like a fix the tests rejected: later nights skip it until its code changes
    (remembered,) = report["rejections_remembered"]
    assert remembered["fingerprint"] == fix["fingerprint"]


@needs_bwrap
def test_the_refuters_first_request_has_a_fresh_context_with_the_diff_and_the_finding(
    tmp_path: Path,
) -> None:
    _repo, fake, report, _md = run(tmp_path, refuter_writing(REFUTING))
    fixer_first = next(r for r in fake.requests if not is_refuter(r))
    first = refuter_requests(fake)[0]
    messages = first.body["messages"]
    assert len(messages) == 1 and messages[0]["role"] == "user"  # nothing of the fixer's
    sent = json.dumps(first.body)
    assert FIXER_SUMMARY not in sent  # not the fixer's finish
    assert "edit_file" not in sent and "run_checks" not in sent  # nor its tools
    system = " ".join(block["text"] for block in first.body["system"])
    assert "sceptical Python reviewer" in system and "careful Python maintainer" not in system
    assert fixer_first.task.split("\n", 1)[0] in first.task  # the same finding...
    assert "`list(items)` copies into a new list" in first.task  # ...and its message
    assert "-    snapshot = list(items)" in first.task  # the diff, both sides
    assert "+    return max(items) - min(items)" in first.task
    assert '<untrusted-data source="the change\'s diff">' in first.task
    assert [t["name"] for t in first.body["tools"]] == [
        "read_file", "search", "write_test", "finish", "give_up",
    ]  # fmt: skip
    assert agent_fix(report)["status"] == "rejected"


# --- (b) a test that fails on the base too: the fix stands ----------------------------------


@needs_bwrap
def test_a_test_that_fails_on_the_base_too_leaves_the_fix_published(tmp_path: Path) -> None:
    repo, fake, report, _md = run(
        tmp_path,
        refuter_writing(FAILS_ON_BASE_TOO),
        recipes=("unnecessary-copies-deep", "unused-imports"),
    )
    fix = agent_fix(report)
    assert fix["status"] == "verified", fix
    assert (
        "refuter: no counterexample (2 turns; its test does not pass on the base" in (fix["reason"])
    )
    assert fix["refutation"]["verdict"] == "no-counterexample"
    assert fix["verification"][-1] == {
        "step": "refute", "ok": True, "detail": fix["refutation"]["detail"],
        "command": None, "duration": None,
    }  # fmt: skip
    branch = fix["branch"]
    assert git(repo, "diff", "--name-only", f"main...{branch}").split() == ["pkg/calc.py"]
    assert "refuter: no counterexample" in git(repo, "log", "-1", "--format=%B", branch)
    patch = Path(fix["patch"]).read_text()
    assert "+    return max(items) - min(items)" in patch and "nightcrew_refute" not in patch
    no_refuting_test_anywhere(repo, tmp_path / "out")
    # (e) the ruff fix of the same night got no refuter: one refuter conversation, the agent's
    (ruff_fix,) = [f for f in report["fixes"] if f["recipe"] == "unused-imports"]
    assert ruff_fix["status"] == "verified" and ruff_fix["refutation"] is None
    assert "refuter" not in ruff_fix["reason"]
    firsts = [r for r in refuter_requests(fake) if r.turn == 0]
    assert len(firsts) == 1 and "pkg/calc.py" in firsts[0].task
    assert "pkg/other.py" not in json.dumps([r.body for r in refuter_requests(fake)])


PASSES_WITH_THE_FIX_TOO = """\
from pkg.calc import spread


def test_spread_of_a_list():
    assert spread([1, 5]) == 4
"""


@needs_bwrap
def test_a_test_that_passes_with_the_fix_too_refutes_nothing(tmp_path: Path) -> None:
    repo, _fake, report, _md = run(tmp_path, refuter_writing(PASSES_WITH_THE_FIX_TOO))
    fix = agent_fix(report)
    assert fix["status"] == "verified", fix
    assert fix["refutation"]["runs"] == [
        "passes on the base (1 test(s), 0 failed, 0 errored)",
        "does not fail with the fix (1 test(s), 0 failed, 0 errored)",
    ]
    assert (
        "refuter: no counterexample (2 turns; its test does not fail with the fix"
        in (fix["reason"])
    )
    no_refuting_test_anywhere(repo, tmp_path / "out")


@needs_bwrap
def test_a_refuter_the_api_fails_leaves_the_fix_standing(tmp_path: Path) -> None:
    def overloaded(request: Request) -> dict | Fault:
        return OVERLOADED if is_refuter(request) else fixer(request)

    _repo, _fake, report, _md = run(tmp_path, overloaded, config="agents:\n  max_retries: 0\n")
    fix = agent_fix(report)
    assert fix["status"] == "verified", fix
    assert "refuter: failed (the Messages API failed: HTTP 529 overloaded_error" in fix["reason"]
    assert fix["refutation"]["verdict"] == "errored"


@needs_bwrap
def test_refuters_of_one_batch_run_in_parallel_each_on_its_own_fix(tmp_path: Path) -> None:
    def two_fixes(request: Request) -> dict:
        path = "pkg/calc2.py" if "pkg/calc2.py" in request.task else "pkg/calc.py"
        module = path[:-3].replace("/", ".")
        if not is_refuter(request):
            if request.turn == 0:
                return reply(tool_use("edit_file", **{**WRONG_FIX, "path": path}))
            return reply(tool_use("finish", summary=FIXER_SUMMARY))
        if request.turn == 0:
            test = REFUTING.replace("pkg.calc", module)
            return reply(tool_use("write_test", path=allowed_path(request), text=test))
        return reply(tool_use("finish", summary="An iterator is read twice."))

    repo = make_repo(tmp_path)
    (repo / "pkg/calc2.py").write_text(CALC)
    (repo / "tests/test_calc2.py").write_text(TESTS.replace("pkg.calc", "pkg.calc2"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a second module")
    with FakeMessagesAPI(two_fixes) as fake:
        report = night.run_night(
            night.NightOptions(
                repo,
                recipe_ids=("unnecessary-copies-deep",),
                out=tmp_path / "out",
                env={**os.environ, "ANTHROPIC_BASE_URL": fake.url},
                api_key=KEY,
                jobs=2,
            ),
            silent,
        ).to_json()
    fixes = {f["path"]: f for f in report["fixes"]}
    assert {p: f["reason_kind"] for p, f in fixes.items()} == {
        "pkg/calc.py": "refuted",
        "pkg/calc2.py": "refuted",
    }
    assert "from pkg.calc2 import" in fixes["pkg/calc2.py"]["refutation"]["test"]
    paths = {f["refutation"]["test_path"] for f in fixes.values()}
    assert len(paths) == 2  # one test file each, named by its finding
    firsts = [r for r in refuter_requests(fake) if r.turn == 0]
    assert len(firsts) == 2
    assert len({r.task for r in firsts}) == 2  # each refuter saw its own fix
    no_refuting_test_anywhere(repo, tmp_path / "out")


# --- (d) a refuter out of budget rejects nothing ------------------------------------------------


@needs_bwrap
def test_a_refuter_out_of_budget_leaves_the_fix_standing_and_says_so(tmp_path: Path) -> None:
    def dithering(request: Request) -> dict:
        if not is_refuter(request):
            return fixer(request)
        return reply(tool_use("read_file", path="pkg/calc.py"))

    repo, fake, report, _md = run(
        tmp_path, dithering, config="agents:\n  refute_budget: {turns: 2}\n"
    )
    fix = agent_fix(report)
    assert fix["status"] == "verified", fix  # a wrong fix, but nothing refuted it
    assert (
        "refuter: ran out of budget after 2 turns (refuter turn limit reached (2 turns))"
        in (fix["reason"])
    )
    assert "rejects nothing, so the fix stands unrefuted" in fix["reason"]
    assert fix["refutation"]["verdict"] == "out-of-budget" and fix["refutation"]["test"] is None
    assert len(refuter_requests(fake)) == 2
    assert not [t for t in report["test_runs"] if t["purpose"].startswith("refute")]
    no_refuting_test_anywhere(repo, tmp_path / "out")


# --- (e) deterministic fixes get no refuter, and `agents.refute: false` turns it off -----------


@needs_bwrap
def test_ruff_fixes_in_an_agent_night_make_no_request(tmp_path: Path) -> None:
    def giving_up(request: Request) -> dict:
        assert not is_refuter(request), "no agent fix, so no refuter"
        return reply(tool_use("give_up", reason="The copy is needed."))

    _repo, fake, report, _md = run(
        tmp_path, giving_up, recipes=("unnecessary-copies-deep", "unused-imports")
    )
    (ruff_fix,) = [f for f in report["fixes"] if f["recipe"] == "unused-imports"]
    assert ruff_fix["status"] == "verified" and ruff_fix["refutation"] is None
    assert len(fake.requests) == 1 and not refuter_requests(fake)  # the fixer's one turn


@needs_bwrap
def test_refute_false_runs_no_refuter(tmp_path: Path) -> None:
    _repo, fake, report, _md = run(
        tmp_path, refuter_writing(REFUTING), config="agents:\n  refute: false\n"
    )
    fix = agent_fix(report)
    assert fix["status"] == "verified" and fix["refutation"] is None
    assert not refuter_requests(fake) and "refuter" not in fix["reason"]


def test_a_refuter_only_when_agents_run_refute_is_on_and_no_fixer_overrides() -> None:
    publishing = SimpleNamespace(repo=None, base_sha="0" * 40, report=SimpleNamespace(out_dir="."))
    env = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}  # never asked: no request is made
    on = AgentSession.start(KEY, env, RepoConfig(), silent)
    off = AgentSession.start(KEY, env, RepoConfig(agents=AgentSettings(refute=False)), silent)
    assert isinstance(for_night(on, publishing, 2, None), Refuter)  # type: ignore[arg-type]
    assert for_night(None, publishing, 2, None) is None  # type: ignore[arg-type]
    assert for_night(off, publishing, 2, None) is None  # type: ignore[arg-type]
    assert for_night(on, publishing, 2, EditFixer()) is None  # type: ignore[arg-type]


# --- (c) the write_test tool: one path, nothing else -------------------------------------------


def toolbox(tmp_path: Path, protected: tuple[str, ...] = ()) -> RefuteToolbox:
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg/calc.py").write_text(CALC)
    (tree / ".github").mkdir()
    workspace = Workspace(tree, ("**/*.py",), ("tests/**",), guard.DEFAULT_PROTECTED + protected)
    return RefuteToolbox(
        workspace,
        ("read_file", "search", "write_test", "finish", "give_up"),
        test_path="tests/nightcrew_refute_abc123.py",
        changed=("pkg/calc.py",),
    )


def written(box: RefuteToolbox) -> list[str]:
    tree = box.workspace.tree
    return sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("pkg/calc.py", "refused; the one file you may write is tests/nightcrew_refute_abc123.py"),
        ("tests/test_other.py", "refused; the one file you may write"),
        (".github/workflows/ci.yml", "refused; the one file you may write"),
        ("/tmp/nightcrew_refute_abc123.py", "absolute paths are refused"),
        ("tests/../tests/nightcrew_refute_abc123.py", "'..' is refused"),
        ("tests\\nightcrew_refute_abc123.py", "use a plain relative path"),
    ],
)
def test_write_test_refuses_every_other_path(tmp_path: Path, path: str, why: str) -> None:
    box = toolbox(tmp_path)
    result = box.call("write_test", {"path": path, "text": REFUTING})
    assert result.is_error and why in result.text
    assert written(box) == ["pkg/calc.py"] and box.test_text is None


def test_write_test_refuses_a_protected_location(tmp_path: Path) -> None:
    box = toolbox(tmp_path, protected=("tests/**",))
    result = box.call("write_test", {"path": box.test_path, "text": REFUTING})
    assert result.is_error and "protected path" in result.text
    assert box.test_text is None and written(box) == ["pkg/calc.py"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("x = 1\n" * 5000, "at most 20000"),
        ("def test_x(:\n", "does not compile"),
        ("import inspect\nimport pkg.calc\n\n\ndef test_x():\n"
         "    assert 'list(' in inspect.getsource(pkg.calc)\n", "reads code instead of running it"),
        ("def test_x():\n    assert 'list(' in open('pkg/calc.py').read()\n", "pkg/calc.py"),
        ("def test_x():\n    assert True  # \u202e\n", "hidden or control characters"),
    ],
    ids=["too-long", "syntax", "inspect", "names-the-file", "hidden"],
)  # fmt: skip
def test_write_test_refuses_tests_that_are_no_counterexample(
    tmp_path: Path, text: str, why: str
) -> None:
    box = toolbox(tmp_path)
    result = box.call("write_test", {"path": box.test_path, "text": text})
    assert result.is_error and why in result.text
    assert box.test_text is None


def test_write_test_writes_the_one_file_and_may_rewrite_it(tmp_path: Path) -> None:
    box = toolbox(tmp_path)
    first = box.call("write_test", {"path": box.test_path, "text": FAILS_ON_BASE_TOO})
    second = box.call("write_test", {"path": "./" + box.test_path, "text": REFUTING})
    assert not first.is_error and not second.is_error
    assert written(box) == ["pkg/calc.py", box.test_path]
    assert (box.workspace.tree / box.test_path).read_text() == REFUTING == box.test_text
    reading = box.call("read_file", {"path": box.test_path})
    assert reading.is_error and "outside this recipe's scope" in reading.text


def test_write_test_refuses_a_file_that_exists_and_a_linked_folder(tmp_path: Path) -> None:
    box = toolbox(tmp_path)
    tree = box.workspace.tree
    (tree / "tests").mkdir()
    (tree / box.test_path).write_text("# the repository's own\n")
    result = box.call("write_test", {"path": box.test_path, "text": REFUTING})
    assert result.is_error and "already exists" in result.text
    linked = toolbox(tmp_path / "linked")
    outside = tmp_path / "outside"
    outside.mkdir()
    (linked.workspace.tree / "tests").symlink_to(outside)
    result = linked.call("write_test", {"path": linked.test_path, "text": REFUTING})
    assert result.is_error and "link" in result.text
    assert list(outside.iterdir()) == []


# --- the config ---------------------------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".github").mkdir(parents=True, exist_ok=True)
    (tmp_path / ".github/nightcrew.yml").write_text(text)
    return tmp_path


def test_agents_refute_and_its_budget_in_the_config(tmp_path: Path) -> None:
    assert RepoConfig().agents.refute is True  # on wherever agents run
    config = load_config(
        write_config(
            tmp_path, "version: 1\nagents:\n  refute: false\n  refute_budget: {turns: 4}\n"
        )
    )
    assert config.agents.refute is False
    assert config.agents.refute_budget == Limits(turns=4, tokens=200_000, dollars=0.5, seconds=600)
    schema = config_schema()["properties"]["agents"]["properties"]
    defaults = AgentSettings()
    assert schema["refute"]["default"] is defaults.refute
    budget = schema["refute_budget"]["properties"]
    assert {k: budget[k]["default"] for k in budget} == {
        "turns": defaults.refute_budget.turns,
        "tokens": defaults.refute_budget.tokens,
        "dollars": defaults.refute_budget.dollars,
        "seconds": defaults.refute_budget.seconds,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nagents:\n  model: claude-haiku-5-5\n  refute: sometimes\n",
            ".github/nightcrew.yml:4: agents.refute: expected true or false, got the string "
            "'sometimes'",
        ),
        (
            "version: 1\nagents:\n  refute_budget:\n    turns: 0\n",
            ".github/nightcrew.yml:4: agents.refute_budget.turns: must be at least 1, got 0",
        ),
        (
            "version: 1\nagents:\n  refute_budget: {turn: 3}\n",
            ".github/nightcrew.yml:3: agents.refute_budget: unknown key 'turn' (did you mean "
            "'turns'?)",
        ),
    ],
    ids=["not-a-boolean", "zero-turns", "unknown-key"],
)
def test_bad_refute_settings_name_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as caught:
        load_config(write_config(tmp_path, text))
    assert str(caught.value).startswith(expected), str(caught.value)
