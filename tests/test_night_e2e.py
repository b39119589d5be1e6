"""One night end to end: the real CLI, real git, real ruff, real pytest on the demo repo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git

SECRETS = {
    "GITHUB_TOKEN": "ghs_e2eSecretGithubToken000",
    "ANTHROPIC_API_KEY": "sk-ant-e2eSecretAnthropic000",
    "INPUT_GITHUB-TOKEN": "ghp_e2eSecretActionInput000",
    "AWS_SECRET_ACCESS_KEY": "e2eSecretAwsAccessKey000",
    "DEPLOY_PASSWORD": "e2eSecretDeployPassword000",
}

ENV_DUMP_TEST = """\
import json
import os
import uuid
from pathlib import Path


def test_dump_environment():
    target = Path(os.environ["NIGHTCREW_E2E_DUMPS"]) / f"{uuid.uuid4().hex}.json"
    target.write_text(json.dumps(dict(os.environ)), encoding="utf-8")
"""


def nightcrew(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def checkout_state(repo: Path) -> dict[str, str]:
    """Everything about the user's checkout that a night must leave alone."""
    return {
        "head": git(repo, "symbolic-ref", "HEAD"),
        "head_sha": git(repo, "rev-parse", "HEAD"),
        "status": git(repo, "status", "--porcelain=v2", "--untracked-files=all"),
        "index": git(repo, "ls-files", "--stage"),
        "diff": git(repo, "diff"),
        "stash": git(repo, "stash", "list"),
        "files": "\n".join(
            sorted(
                f"{p.relative_to(repo)}:{p.read_bytes().hex()[:64]}"
                for p in repo.rglob("*")
                if p.is_file() and ".git" not in p.relative_to(repo).parts
            )
        ),
    }


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One night on the demo repo, made dirty first, run twice; shared by the tests below."""
    from tests.conftest import DEMO_REPO, init_repo

    base = tmp_path_factory.mktemp("night")
    dumps = base / "dumps"
    dumps.mkdir()
    # The dump test writes outside its worktree: the sandbox must be told it may.
    config = f"version: 1\nsandbox:\n  writable: [{dumps}]\n"
    repo = init_repo(
        base / "inventory",
        {"tests/test_env_dump.py": ENV_DUMP_TEST, ".github/nightcrew.yml": config},
        source=DEMO_REPO,
    )
    # A human's work in progress: a stash, a staged change, an unstaged change, a new file.
    (repo / "inventory" / "io.py").write_text("# stashed\n", encoding="utf-8")
    git(repo, "stash", "push", "--quiet", "-m", "human stash")
    (repo / "README.md").write_text("staged edit\n", encoding="utf-8")
    git(repo, "add", "README.md")
    (repo / "pyproject.toml").write_text(
        (repo / "pyproject.toml").read_text() + "# unstaged\n", encoding="utf-8"
    )
    (repo / "notes.txt").write_text("untracked\n", encoding="utf-8")
    before = checkout_state(repo)

    env = {**os.environ, **SECRETS, "NIGHTCREW_E2E_DUMPS": str(dumps)}
    out = base / "out"
    first = nightcrew("run", "--repo", str(repo), "--out", str(out), "--json", env=env)
    after_first = checkout_state(repo)
    # The second night clears the first one's report and patches: keep what it wrote.
    out_first = {str(p): p.read_text() for p in out.rglob("*") if p.is_file()}
    branches_first = git(repo, "branch", "--list", "nightcrew/*").split()
    second = nightcrew("run", "--repo", str(repo), "--out", str(out), "--json", env=env)
    return {
        "repo": repo,
        "out": out,
        "dumps": dumps,
        "before": before,
        "after_first": after_first,
        "out_first": out_first,
        "after_second": checkout_state(repo),
        "first": first,
        "second": second,
        "branches_first": branches_first,
        "branches_second": git(repo, "branch", "--list", "nightcrew/*").split(),
    }


def report(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fixes_by_rule(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for fix in data["fixes"]:
        out.setdefault(fix["rule"], []).append(fix)
    return out


@pytest.mark.slow
def test_each_planted_copy_becomes_one_verified_branch(night):
    data = report(night["first"])
    verified = {(f["rule"], f["path"]) for f in data["fixes"] if f["status"] == "verified"}
    assert verified >= {
        ("ruff:C414", "inventory/ledger.py"),
        ("ruff:FURB129", "inventory/io.py"),
        ("nightcrew:list-concat-in-loop", "inventory/ledger.py"),
        ("nightcrew:copy-before-iteration", "inventory/ledger.py"),
    }
    assert sorted(data["branches"]) == sorted(night["branches_first"])
    repo = night["repo"]
    for fix in data["fixes"]:
        if fix["status"] != "verified":
            continue
        assert fix["branch"].startswith(f"nightcrew/{fix['recipe']}/")
        assert fix["branch"].endswith(fix["fingerprint"][:8])
        # One commit on top of the base, touching only the finding's file.
        assert git(repo, "rev-list", "--count", f"main..{fix['branch']}").strip() == "1"
        changed = git(repo, "diff", "--name-only", f"main...{fix['branch']}").split()
        assert changed == [fix["path"]]
        message = git(repo, "log", "-1", "--format=%B", fix["branch"])
        assert f"Nightcrew-Fingerprint: {fix['fingerprint']}" in message
        # Its group's run failed a test that did not execute it; every test that did passed.
        assert "- tests in a group of 5: every test that executed it passed: " in message
        assert "tests ran in" in message and "did not execute it" in message
        assert night["out_first"][fix["patch"]].startswith("From ")


@pytest.mark.slow
def test_a_fix_that_breaks_tests_is_rejected(night):
    data = report(night["first"])
    audit = [f for f in data["fixes"] if f["rule"] == "ruff:C419"]
    assert len(audit) == 1
    assert audit[0]["status"] == "rejected"
    assert "test_audit_visits_every_item" in audit[0]["reason"]
    assert audit[0]["branch"] is None


@pytest.mark.slow
def test_decoys_are_never_touched(night):
    data = report(night["first"])
    ledger = (night["repo"] / "inventory" / "ledger.py").read_text().splitlines()
    decoy_lines = {
        n
        for n, text in enumerate(ledger, 1)
        if "return list(self._items)" in text
        or "self._items.copy()" in text
        or "log = log + [word]" in text
    }
    assert len(decoy_lines) == 3
    touched = {f["line"] for f in data["findings"] if f["path"] == "inventory/ledger.py"}
    assert not touched & decoy_lines
    for branch in night["branches_first"]:
        diff = git(night["repo"], "diff", f"main...{branch}")
        assert "self._items.copy()" not in diff
        assert "log = log + [word]" not in diff


@pytest.mark.slow
def test_the_users_checkout_is_left_exactly_as_it_was(night):
    assert night["after_first"] == night["before"]
    assert night["after_second"] == night["before"]
    data = report(night["first"])
    assert data["dirty_worktree"] is True
    assert any(
        n["kind"] == "dirty-worktree" and "uncommitted changes" in n["text"] for n in data["notes"]
    )
    assert "uncommitted changes" in night["first"].stderr
    worktrees = git(night["repo"], "worktree", "list").splitlines()
    assert len(worktrees) == 1  # every worktree the night made is gone


@pytest.mark.slow
def test_a_second_night_creates_no_duplicates(night):
    first, second = report(night["first"]), report(night["second"])
    assert night["branches_second"] == night["branches_first"]
    assert second["branches"] == []
    verified_before = {f["fingerprint"] for f in first["fixes"] if f["status"] == "verified"}
    skipped_now = {
        f["fingerprint"]
        for f in second["fixes"]
        if f["status"] == "skipped" and f["reason"].startswith("already proposed")
    }
    assert verified_before and verified_before == skipped_now
    # Its folder holds its own results only: no patch of the first night's is left.
    assert list((night["out"] / "patches").glob("*.patch")) == []
    assert json.loads((night["out"] / "report.json").read_text()) == second


@pytest.mark.slow
def test_no_secret_reaches_the_tests_or_the_report(night):
    dumps = list(night["dumps"].glob("*.json"))
    assert len(dumps) >= 1  # the group's run ran the dumping test (the base commit: only failures)
    for dump in dumps:
        seen = json.loads(dump.read_text())
        assert "PATH" in seen  # the dump is a real environment
        for name, value in SECRETS.items():
            assert name not in seen
            assert value not in json.dumps(seen)
    everything = [night["first"].stdout, night["first"].stderr, night["second"].stdout]
    everything += [p.read_text() for p in night["out"].rglob("*") if p.is_file()]
    everything += night["out_first"].values()
    for value in SECRETS.values():
        assert not any(value in text for text in everything)


@pytest.mark.slow
def test_report_records_baseline_runs_and_timings(night):
    data = report(night["first"])
    runs = data["test_runs"]
    status = [f["status"] for f in data["fixes"]]
    # Fixes first: the whole group, then its one new failure on the base commit, then the
    # fix that failure executed, alone on that test. No full baseline.
    group, base, culprit = runs
    assert group["purpose"] == "group of 5" and group["tests"] == 9
    (failing,) = group["failed"]
    assert base["purpose"] == "baseline of 1 test(s)"
    assert base["tests"] == 1 and base["failed"] == []
    assert culprit["tests"] == 1 and culprit["failed"] == [failing]
    assert len(runs) == 3 < len(status)
    assert all("in a group of 5: every test that executed it passed" in f["reason"]
               for f in data["fixes"] if f["status"] == "verified")  # fmt: skip
    assert data["suite_runs"] == 1 and data["partial_runs"] == 1
    assert data["baseline_runs"] == {"full": 0, "partial": 1}
    assert set(data["timings"]) >= {"find", "baseline", "fixes", "total"}
    assert (night["out"] / "report.md").read_text().startswith("# Nightcrew report")
    assert data["summary"]["found"] == len(data["findings"])
