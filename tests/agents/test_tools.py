"""The agent's tools, called directly: confinement, exact edits, validation, checks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bot.agents.tools import FIND_TOOLS, FIX_TOOLS, MAX_CHECK_RUNS, Checks, Toolbox, Workspace
from bot.fix.guard import DEFAULT_PROTECTED

INCLUDE = ("**/*.py",)
EXCLUDE = ("tests/**",)

CALC = "def total(items):\n    snapshot = list(items)\n    return sum(snapshot)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    files = {
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC,
        "pkg/twice.py": "x = []\nx = []\n",
        "pkg/crlf.py": "a = 1\r\nb = 2\r\n",
        "pkg/migrations/m1.py": "OLD = 1\n",
        "tests/test_calc.py": "def test_ok():\n    assert True\n",
        ".github/workflows/ci.py": "print('ci')\n",
        "noxfile.py": "print('nox')\n",
        "README.md": "docs\n",
        ".git/config": "[core]\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 'outside the repo'\n")
    os.symlink(outside, root / "pkg" / "escape.py")
    os.symlink("../.github/workflows/ci.py", root / "pkg" / "to_ci.py")
    os.symlink("calc.py", root / "pkg" / "alias.py")
    os.symlink(tmp_path, root / "pkg" / "updir")
    return root


def toolbox(tree: Path, names: tuple[str, ...] = FIX_TOOLS, **kwargs: object) -> Toolbox:
    protected = (*DEFAULT_PROTECTED, "pkg/migrations/**")
    return Toolbox(Workspace(tree, INCLUDE, EXCLUDE, protected), names, **kwargs)  # type: ignore[arg-type]


REFUSED = [
    pytest.param("../outside.py", "'..' is refused", id="dotdot"),
    pytest.param("pkg/../../outside.py", "'..' is refused", id="dotdot-inside"),
    pytest.param("/etc/passwd", "absolute paths are refused", id="absolute"),
    pytest.param(str(Path("/tmp/x.py")), "absolute paths are refused", id="absolute-tmp"),
    pytest.param("~/x.py", "absolute paths are refused", id="home"),
    pytest.param("C:/x.py", "absolute paths are refused", id="windows-drive"),
    pytest.param("pkg\\calc.py", "'/' separators", id="backslash"),
    pytest.param("pkg/escape.py", "symlink that leads outside", id="symlink-escape"),
    pytest.param("pkg/updir/outside.py", "symlink that leads outside", id="symlinked-folder"),
    pytest.param("pkg/to_ci.py", "protected", id="symlink-into-protected"),
    pytest.param(".github/workflows/ci.py", "protected", id="protected-ci"),
    pytest.param("noxfile.py", "protected", id="protected-default"),
    pytest.param("pkg/migrations/m1.py", "protected", id="protected-by-config"),
    pytest.param("tests/test_calc.py", "outside this recipe's scope", id="excluded"),
    pytest.param("README.md", "outside this recipe's scope", id="not-included"),
    pytest.param(".git/config", "git's own files", id="git-dir"),
    pytest.param("pkg/nope.py", "no such file", id="missing"),
    pytest.param("", "non-empty string", id="empty"),
    pytest.param("pkg", "outside this recipe's scope", id="a-folder"),
]


@pytest.mark.parametrize(("path", "why"), REFUSED)
def test_read_file_refuses_with_a_reason(tree: Path, path: str, why: str) -> None:
    result = toolbox(tree).call("read_file", {"path": path})
    assert result.is_error
    assert why in result.text
    assert "SECRET" not in result.text and "print('ci')" not in result.text


@pytest.mark.parametrize(("path", "why"), REFUSED)
def test_edit_file_refuses_and_changes_nothing(tree: Path, path: str, why: str) -> None:
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    outside = (tree.parent / "outside.py").read_bytes()
    result = toolbox(tree).call("edit_file", {"path": path, "old_text": "1", "new_text": "2"})
    assert result.is_error and why in result.text
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before
    assert (tree.parent / "outside.py").read_bytes() == outside


def test_a_symlink_inside_the_scope_may_be_read_but_not_edited(tree: Path) -> None:
    box = toolbox(tree)
    assert "snapshot = list(items)" in box.call("read_file", {"path": "pkg/alias.py"}).text
    result = box.call("edit_file", {"path": "pkg/alias.py", "old_text": "sum", "new_text": "max"})
    assert result.is_error and "symlink" in result.text
    assert (tree / "pkg/calc.py").read_text() == CALC


def test_read_file_numbers_lines_inside_a_data_block(tree: Path) -> None:
    text = toolbox(tree).call("read_file", {"path": "./pkg/calc.py", "start_line": 2}).text
    assert text.startswith('<untrusted-data source="pkg/calc.py lines 2-3 of 3">')
    assert "2|     snapshot = list(items)\n3|     return sum(snapshot)" in text
    assert text.endswith("</untrusted-data>")


def test_read_file_past_the_end_is_an_error(tree: Path) -> None:
    result = toolbox(tree).call("read_file", {"path": "pkg/calc.py", "start_line": 9})
    assert result.is_error and "has 3 lines" in result.text


def test_edit_file_replaces_one_exact_match(tree: Path) -> None:
    box = toolbox(tree)
    result = box.call(
        "edit_file",
        {
            "path": "pkg/calc.py",
            "old_text": "    snapshot = list(items)\n    return sum(snapshot)\n",
            "new_text": "    return sum(items)\n",
        },
    )
    assert not result.is_error, result.text
    assert "from line 2" in result.text
    assert (tree / "pkg/calc.py").read_text() == "def total(items):\n    return sum(items)\n"
    box.revert()
    assert (tree / "pkg/calc.py").read_text() == CALC


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        pytest.param({"old_text": "x = []", "new_text": "x = ()"}, "occurs 2 times", id="twice"),
        pytest.param({"old_text": "y = []", "new_text": "y = ()"}, "was not found", id="absent"),
        pytest.param({"old_text": "x = []", "new_text": "x = []"}, "the same", id="no-change"),
        pytest.param(
            {"old_text": "x = []\nx = []", "new_text": "x = []\u202e\nx = []"},
            "hidden or control characters (U+202E)",
            id="adds-bidi-control",
        ),
    ],
)
def test_edit_file_needs_a_unique_visible_change(tree: Path, edit: dict, why: str) -> None:
    result = toolbox(tree).call("edit_file", {"path": "pkg/twice.py", **edit})
    assert result.is_error and why in result.text
    assert (tree / "pkg/twice.py").read_text() == "x = []\nx = []\n"


def test_edit_file_keeps_crlf_line_endings(tree: Path) -> None:
    result = toolbox(tree).call(
        "edit_file", {"path": "pkg/crlf.py", "old_text": "a = 1\nb = 2", "new_text": "a = 3\nb = 4"}
    )
    assert not result.is_error, result.text
    assert (tree / "pkg/crlf.py").read_bytes() == b"a = 3\r\nb = 4\r\n"


MALFORMED = [
    pytest.param("read_file", "pkg/calc.py", "expected a JSON object", id="input-not-an-object"),
    pytest.param("read_file", {}, "'path' is a required property", id="missing-field"),
    pytest.param("read_file", {"path": 3}, "path: 3 is not of type 'string'", id="wrong-type"),
    pytest.param(
        "read_file", {"path": "pkg/calc.py", "start_line": 0}, "start_line", id="line-zero"
    ),
    pytest.param(
        "read_file", {"path": "pkg/calc.py", "start_line": "2"}, "start_line", id="line-string"
    ),
    pytest.param(
        "read_file", {"path": "pkg/calc.py", "mode": "w"}, "'mode' was unexpected", id="extra"
    ),
    pytest.param("edit_file", {"path": "pkg/calc.py"}, "required property", id="edit-incomplete"),
    pytest.param("search", {"pattern": "("}, "invalid regular expression", id="bad-regex"),
    pytest.param("shell", {"command": "env"}, "unknown tool 'shell'", id="no-shell"),
    pytest.param("report_finding", {}, "unknown tool", id="finder-tool-not-for-fixers"),
    pytest.param("finish", {"summary": ""}, "summary", id="empty-summary"),
]


@pytest.mark.parametrize(("name", "raw", "message"), MALFORMED)
def test_malformed_input_is_a_tool_error(tree: Path, name: str, raw: object, message: str) -> None:
    result = toolbox(tree).call(name, raw)
    assert result.is_error and result.final is None
    assert message in result.text


def test_search_looks_only_in_scope(tree: Path) -> None:
    box = toolbox(tree)
    text = box.call("search", {"pattern": r"print|sum\(", "glob": "**"}).text
    assert "pkg/calc.py:3:" in text
    assert "ci.py" not in text and "noxfile" not in text and "outside" not in text
    assert "no matches" in box.call("search", {"pattern": "sum", "glob": "other/**"}).text


def test_finish_and_give_up_end_the_agent_with_cleaned_text(tree: Path) -> None:
    box = toolbox(tree)
    done = box.call("finish", {"summary": "Removed<!-- secret --> the copy\u200b."})
    assert (done.final, done.text) == ("finished", "Removed the copy.")
    assert box.call("give_up", {"reason": "needed"}).final == "gave_up"


def test_report_finding_only_in_given_files_and_up_to_the_limit(tree: Path) -> None:
    box = toolbox(tree, FIND_TOOLS, report_paths=frozenset({"pkg/calc.py"}), max_findings=1)
    finding = {"path": "pkg/calc.py", "line": 2, "summary": "copy", "rationale": "only read"}
    elsewhere = box.call("report_finding", {**finding, "path": "pkg/twice.py"})
    assert elsewhere.is_error and "not one of the files given to you" in elsewhere.text
    past_end = box.call("report_finding", {**finding, "line": 9})
    assert past_end.is_error and "has 3 lines" in past_end.text
    assert not box.call("report_finding", finding).is_error
    again = box.call("report_finding", {**finding, "line": 3})
    assert again.is_error and "limit of 1 finding" in again.text
    assert [(r.path, r.line) for r in box.reported] == [("pkg/calc.py", 2)]
    assert box.call("edit_file", {"path": "pkg/calc.py", "old_text": "a", "new_text": "b"}).is_error


def test_run_checks_runs_the_commands_without_secrets(tree: Path) -> None:
    (tree / "tests/test_env.py").write_text(
        "import os\n\n"
        "def test_env():\n"
        "    print('KEY=' + os.environ.get('ANTHROPIC_API_KEY', 'absent'))\n"
        "    print('TOKEN=' + os.environ.get('DEPLOY_TOKEN', 'absent'))\n"
        "    assert False, 'fails on purpose'\n"
    )
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-ant-must-not-leak",
        "DEPLOY_TOKEN": "tok-must-not-leak",
    }
    checks = Checks(("python -m pytest -q -s tests/test_env.py",), env, lambda: 60.0)
    box = toolbox(tree, checks=checks)
    text = box.call("run_checks", {}).text
    assert "failed (exit 1)" in text
    assert "KEY=absent" in text and "TOKEN=absent" in text
    assert "must-not-leak" not in text
    assert "advice" in text
    assert not (tree / ".pytest_cache").exists()
    for _ in range(MAX_CHECK_RUNS - 1):
        box.call("run_checks", {})
    over = box.call("run_checks", {})
    assert over.is_error and f"{MAX_CHECK_RUNS} times" in over.text


def test_run_checks_reports_a_missing_command(tree: Path) -> None:
    checks = Checks(("no-such-command-xyz --all",), {"PATH": os.defpath}, lambda: 10.0)
    text = toolbox(tree, checks=checks).call("run_checks", {}).text
    assert "not found" in text


def test_tool_schemas_are_in_a_fixed_order() -> None:
    box = Toolbox(Workspace(Path(sys.prefix), INCLUDE, (), ()), FIX_TOOLS)
    assert [t["name"] for t in box.schemas()] == list(FIX_TOOLS)
    assert all(t["input_schema"]["additionalProperties"] is False for t in box.schemas())


# --- writes never follow a link; what run_checks runs cannot reach the worktree --------------

EDIT = {
    "path": "pkg/calc.py",
    "old_text": "    snapshot = list(items)\n    return sum(snapshot)\n",
    "new_text": "    return sum(items)\n",
}


def link_the_file(tree: Path, victim: Path) -> None:
    (tree / "pkg/calc.py").unlink()
    os.symlink(victim / "calc.py", tree / "pkg/calc.py")


def link_the_folder(tree: Path, victim: Path) -> None:
    (tree / "pkg").rename(tree / "pkg-moved")
    os.symlink(victim, tree / "pkg")


@pytest.mark.parametrize("swap", [link_the_file, link_the_folder], ids=["file", "folder"])
def test_revert_never_writes_through_a_link_put_in_place_of_an_edited_file(
    tree: Path, swap
) -> None:
    victim = tree.parent / "victim"
    victim.mkdir()
    (victim / "calc.py").write_text("VICTIM = 1\n")
    box = toolbox(tree)
    assert not box.call("edit_file", EDIT).is_error
    swap(tree, victim)  # as code run by run_checks, or anything else, might
    assert box.revert() == ["pkg/calc.py"]
    assert (victim / "calc.py").read_text() == "VICTIM = 1\n"
    assert sorted(p.name for p in victim.iterdir()) == ["calc.py"]  # no temp file left there


def test_edit_file_writes_a_new_file_in_place_of_the_old(tree: Path) -> None:
    (tree / "pkg/calc.py").chmod(0o750)
    before = (tree / "pkg/calc.py").stat().st_ino
    box = toolbox(tree)
    assert not box.call("edit_file", EDIT).is_error
    assert (tree / "pkg/calc.py").stat().st_ino != before  # replaced, not written through
    assert (tree / "pkg/calc.py").stat().st_mode & 0o777 == 0o750
    assert box.revert() == []
    assert (tree / "pkg/calc.py").read_text() == CALC


LONG = "a" * 300
TOO_LONG = [
    pytest.param(f"pkg/{LONG}.py", id="file-name"),
    pytest.param(f"pkg/{LONG}/calc.py", id="folder-name"),
    pytest.param("pkg/" + "ab/" * 2000 + "calc.py", id="whole-path"),
]


@pytest.mark.parametrize("path", TOO_LONG)
@pytest.mark.parametrize("name", ["read_file", "edit_file", "report_finding"])
def test_a_path_the_filesystem_refuses_is_a_tool_error(tree: Path, name: str, path: str) -> None:
    box = toolbox(tree, (*FIX_TOOLS, "report_finding"), report_paths=frozenset({path}))
    given = {
        "read_file": {"path": path},
        "edit_file": {"path": path, "old_text": "a", "new_text": "b"},
        "report_finding": {"path": path, "line": 1, "summary": "s", "rationale": "r"},
    }[name]
    result = box.call(name, given)
    assert result.is_error and result.final is None
    assert "File name too long" in result.text
    assert str(tree) not in result.text  # the model never learns where the worktree is


def test_run_checks_runs_in_a_copy_that_holds_the_edits(tree: Path) -> None:
    (tree / "tests/plant.py").write_text(
        "from pathlib import Path\n"
        "print('SEES', Path('pkg/calc.py').read_text().splitlines()[1])\n"
        "print('AT', Path('pkg/calc.py').resolve())\n"
        "Path('.github/workflows/planted.yml').write_text('on: push')\n"
        "Path('pkg/_cache.bin').write_bytes(b'cache')\n"
        "Path('pkg/twice.py').write_text('BACKDOOR = 1\\n')\n"
        "Path('pkg/crlf.py').unlink()\n"
        "Path('pkg/crlf.py').symlink_to('/etc/hostname')\n"
    )

    def state() -> dict[str, str]:
        return {
            str(p.relative_to(tree)): os.readlink(p) if p.is_symlink() else p.read_text()
            for p in sorted(tree.rglob("*"))
            if p.is_symlink() or p.is_file()
        }

    box = toolbox(tree, checks=Checks(("python tests/plant.py",), dict(os.environ), lambda: 60.0))
    assert not box.call("edit_file", EDIT).is_error
    before = state()
    text = box.call("run_checks", {}).text
    assert "passed" in text, text
    assert "SEES     return sum(items)" in text  # the checks ran the agent's edit
    assert f"AT {tree / 'pkg/calc.py'}" in text  # paths shown as the worktree's
    assert "nightcrew-checks-" not in text
    assert state() == before
