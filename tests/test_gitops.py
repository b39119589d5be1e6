"""bot.gitops: git in a worktree never trusts the tree's `.git`; CRLF and odd names read right."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import git as gitpython
import pytest

from bot import gitops
from bot.cli import main
from bot.errors import UserError
from tests.conftest import git, init_repo

IDENTITY = ("Nightcrew", "nightcrew@example.invalid")
CANARIES = {
    "GITHUB_TOKEN": "ghs_canaryGitopsToken0001",
    "ANTHROPIC_API_KEY": "sk-ant-canaryGitopsKey0001",
    "AWS_SECRET_ACCESS_KEY": "canaryGitopsAws0001",
}


def hijack(tree: Path, leaks: Path) -> Path:
    """Do what code under test can do: point the tree's `.git` at a git folder of its own,
    whose config runs a script (fsmonitor, external diff) that writes the environment to
    ``leaks``, with alternates back to the real objects so that git keeps working."""
    real = Path((tree / ".git").read_text().split("gitdir:", 1)[1].strip())
    common = (real / (real / "commondir").read_text().strip()).resolve()
    evil = tree / ".evil"
    (evil / "objects" / "info").mkdir(parents=True)
    (evil / "refs").mkdir()
    (evil / "HEAD").write_bytes((real / "HEAD").read_bytes())
    (evil / "index").write_bytes((real / "index").read_bytes())
    (evil / "objects" / "info" / "alternates").write_text(f"{common / 'objects'}\n")
    script = evil / "run.sh"
    script.write_text(f'#!/bin/sh\nenv > "{leaks}/leak-$$"\nexit 0\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (evil / "hooks").mkdir()
    for hook in ("pre-commit", "post-commit", "commit-msg", "post-checkout"):
        (evil / "hooks" / hook).write_bytes(script.read_bytes())
        (evil / "hooks" / hook).chmod(0o755)
    (evil / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n"
        f"\tfsmonitor = {script}\n\thooksPath = {evil / 'hooks'}\n"
        f"[diff]\n\texternal = {script}\n"
    )
    (tree / ".git").write_text(f"gitdir: {evil}\n")
    return evil


def leaked(leaks: Path) -> list[str]:
    return [p.name for p in leaks.iterdir()]


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)


def test_the_hijack_works_on_plain_git(tmp_path: Path, canaries: None) -> None:
    """The control: git that discovers the tree's `.git` runs the planted script."""
    repo = gitops.open_repo(init_repo(tmp_path / "repo", {"a.py": "x = 1\n"}))
    leaks = tmp_path / "leaks"
    leaks.mkdir()
    with gitops.worktree(repo, repo.head.commit.hexsha, "control") as tree:
        hijack(tree, leaks)
        (tree / "a.py").write_text("x = 2\n")
        gitpython.Repo(tree).git.add("--all")
        gitpython.Repo(tree).git.diff("--cached", with_exceptions=False)
    assert leaked(leaks)
    assert CANARIES["GITHUB_TOKEN"] in (leaks / leaked(leaks)[0]).read_text()


def test_nightcrews_git_ignores_a_rewritten_dot_git(tmp_path: Path, canaries: None) -> None:
    path = init_repo(tmp_path / "repo", {"a.py": "x = 1\n", "b.py": "y = 1\n"})
    repo = gitops.open_repo(path)
    base = repo.head.commit.hexsha
    leaks = tmp_path / "leaks"
    leaks.mkdir()
    with gitops.worktree(repo, base, "fix") as tree:
        evil = hijack(tree, leaks)
        (tree / "a.py").write_text("x = 2\n")
        changes = gitops.changed_files(tree, base)
        patch = gitops.staged_patch(tree, base)
        text = gitops.diff_text(tree, base)
        sha = gitops.commit_all(tree, "fix", *IDENTITY)
        planted = {f".evil/{p.relative_to(evil)}" for p in evil.rglob("*") if p.is_file()}
        assert leaked(leaks) == []
        with gitops.worktree(repo, base, "verify") as other:
            assert gitops.apply_patch(other, patch) is None
            assert (other / "a.py").read_text() == "x = 2\n"
    assert leaked(leaks) == []
    # The planted folder is only new files in the tree (which the guard refuses), and the
    # commit went to the real git folder, not the planted one.
    assert {c.path for c in changes} == {"a.py"} | planted
    assert "a/a.py" in patch and "-x = 1" in text
    assert git(path, "cat-file", "-t", sha).strip() == "commit"
    assert "a.py" in git(path, "show", "--name-only", "--format=", sha).split()
    assert git(path, "worktree", "list").count("\n") == 1  # both trees' metadata is gone


def test_a_tree_nightcrew_did_not_make_is_refused(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    with pytest.raises(ValueError, match="not a worktree made by gitops"):
        gitops.changed_files(path, "HEAD")


def test_alternates_that_appear_while_nightcrew_works_are_refused(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    repo = gitops.open_repo(path)
    with gitops.worktree(repo, repo.head.commit.hexsha, "alt") as tree:
        alternates = path / ".git" / "objects" / "info" / "alternates"
        alternates.write_text(f"{tmp_path / 'elsewhere'}\n")
        with pytest.raises(gitpython.GitCommandError, match="alternates changed"):
            gitops.changed_files(tree, repo.head.commit.hexsha)
        alternates.unlink()


def test_worktree_git_runs_without_global_or_system_config(tmp_path: Path, monkeypatch) -> None:
    """A global `diff.noprefix` (or an external diff) would break or hijack the patch."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(f"[diff]\n\tnoprefix = true\n\texternal = {tmp_path}/x\n")
    monkeypatch.setenv("HOME", str(home))
    path = init_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    repo = gitops.open_repo(path)
    base = repo.head.commit.hexsha
    with gitops.worktree(repo, base, "cfg") as tree:
        (tree / "a.py").write_text("x = 2\n")
        assert "--- a/a.py\n+++ b/a.py\n" in gitops.staged_patch(tree, base)


# --------------------------------------------------------------------------- CRLF, odd names


def test_a_one_line_change_in_a_crlf_file_is_one_changed_line(tmp_path: Path) -> None:
    lines = "".join(f"x{i} = {i}\r\n" for i in range(120))
    path = init_repo(tmp_path / "repo", {"a.py": lines})
    repo = gitops.open_repo(path)
    base = repo.head.commit.hexsha
    with gitops.worktree(repo, base, "crlf") as tree:
        (tree / "a.py").write_bytes(lines.replace("x5 = 5\r\n", "x5 = 50\r\n").encode())
        (change,) = gitops.changed_files(tree, base)
    assert change.old_text == lines
    assert change.new_text is not None and change.new_text.count("\r\n") == 120
    from bot.fix.guard import changed_line_count

    assert changed_line_count([change]) == 2  # one line removed, one added


ODD_NAMES = ["pkg/ünï.py", 'pkg/we"ird.py', "pkg/new\nline.py", "pkg/tab\there.py"]


def test_names_git_would_quote_are_read_as_they_are(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "repo", dict.fromkeys(ODD_NAMES, "x = 1\n"))
    repo = gitops.open_repo(path)
    base = repo.head.commit.hexsha
    with gitops.worktree(repo, base, "odd") as tree:
        for name in ODD_NAMES:
            (tree / name).write_text("x = 2\n")
        (tree / "pkg" / "ünï.py").chmod(0o755)
        changes = {c.path: c for c in gitops.changed_files(tree, base)}
    assert sorted(changes) == sorted(ODD_NAMES)
    assert {c.status for p, c in changes.items() if p != "pkg/ünï.py"} == {"M"}
    assert changes["pkg/ünï.py"].status == "T"  # content and mode changed
    assert all(c.old_text == "x = 1\n" and c.new_text == "x = 2\n" for c in changes.values())


# --------------------------------------------------------------------------- whole nights


CRLF_CORE = (
    "".join(f"def f{i}(x):\r\n    return x + {i}\r\n\r\n\r\n" for i in range(30))
    + "def names(xs):\r\n    return sorted(list(xs))\r\n"
)
TESTS = """\
from pkg.core import names


def test_names():
    assert names(["b", "a"]) == ["a", "b"]
"""


def night(repo: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    out = repo.parent / "out"
    code = main(["run", "--repo", str(repo), "--out", str(out), "--json", "--recipe",
                 "unnecessary-copies"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    return data


def test_a_fix_in_a_crlf_file_verifies_and_keeps_crlf(make_repo, capsys) -> None:
    repo = make_repo(files={"pkg/__init__.py": "", "pkg/core.py": CRLF_CORE,
                            "tests/test_core.py": TESTS})  # fmt: skip
    data = night(repo, capsys)
    (fix,) = data["fixes"]
    assert (fix["rule"], fix["status"]) == ("ruff:C414", "verified"), fix
    assert fix["diff_lines"] == 2  # one line out, one in: not "the fix changes 126 lines"
    fixed = CRLF_CORE.replace("sorted(list(xs))", "sorted(xs)")
    blob = gitpython.Repo(repo).git.show(f"{fix['branch']}:pkg/core.py", stdout_as_string=False,
                                      strip_newline_in_stdout=False)  # fmt: skip
    assert blob == fixed.encode() and blob.count(b"\r\n") == fixed.count("\n")
    assert git(repo, "status", "--porcelain") == ""


# Loads each module by its file name (`we"ird` is no identifier) and runs the fixed line.
CALLS_BY_PATH = """\
import importlib.util
from pathlib import Path


def test_names():
    for path in sorted((Path(__file__).parent.parent / "pkg").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"m{abs(hash(path.name))}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "names"):
            assert module.names("ba") == ["a", "b"]
"""


def test_fixes_in_files_with_names_git_quotes_verify(make_repo, capsys) -> None:
    code = "def names(xs):\n    return sorted(list(xs))\n"
    repo = make_repo(files={"pkg/__init__.py": "", "pkg/ünï.py": code, 'pkg/we"ird.py': code,
                            "tests/test_names.py": CALLS_BY_PATH})  # fmt: skip
    data = night(repo, capsys)
    assert {f["path"]: f["status"] for f in data["fixes"]} == {
        "pkg/ünï.py": "verified",
        'pkg/we"ird.py': "verified",
    }, [f["reason"] for f in data["fixes"]]
    for fix in data["fixes"]:
        changed = git(repo, "diff", "--name-only", "-z", "main", fix["branch"]).split("\0")
        assert changed == [fix["path"], ""]


def test_a_subfolder_opens_its_checkout(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "repo", {"pkg/deep/a.py": "x = 1\n"})
    assert Path(gitops.open_repo(path / "pkg/deep").working_tree_dir or "") == path
    assert gitops.top_level(path / "pkg") == path
    (tmp_path / "plain").mkdir()
    assert gitops.top_level(tmp_path / "plain") is None
    with pytest.raises(UserError, match="is not a git repository, nor in one"):
        gitops.open_repo(tmp_path / "plain")
    with pytest.raises(UserError, match="is not a folder"):
        gitops.open_repo(path / "pkg/deep/a.py")


def test_exported_tree_copies_a_commit_and_touches_nothing(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "repo", {"a.py": "x = 1\n", "sub/b.py": "y = 2\n"})
    first = git(path, "rev-parse", "HEAD").strip()
    (path / "a.py").write_text("x = 3\n")
    git(path, "commit", "--quiet", "-am", "second")
    (path / "a.py").write_text("dirty\n")
    (path / "sub/b.py").write_text("staged\n")
    git(path, "add", "sub/b.py")
    before = [
        git(path, *a) for a in (["status", "--porcelain"], ["ls-files", "-s"], ["for-each-ref"])
    ]
    repo = gitops.open_repo(path)
    with gitops.exported_tree(repo, first) as tree:
        assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()) == [
            "a.py",
            "sub/b.py",
        ]
        assert (tree / "a.py").read_text() == "x = 1\n"
        assert not (tree / ".git").exists()
    assert not tree.exists()
    after = [
        git(path, *a) for a in (["status", "--porcelain"], ["ls-files", "-s"], ["for-each-ref"])
    ]
    assert after == before
    assert git(path, "worktree", "list").count("\n") == 1
