"""Grouped verification on real repositories: the right fixes pass, few suite runs are paid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.planted import make_planted_repo
from bot.cli import main
from tests.conftest import git


def night(repo: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    return night_and_runs(repo, capsys, *extra)[0]


def night_and_runs(
    repo: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[dict, list[str]]:
    """The report, and the progress line of each test run (``test run N (kind): ...``)."""
    code = main(["run", "--repo", str(repo), "--out", str(repo.parent / "out"), "--json", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    runs = re.findall(r"nightcrew: (test run \d+ .*)", captured.err)
    return json.loads(captured.out), runs


def kinds(runs: list[str]) -> list[str]:
    return [re.match(r"test run \d+ \((\w+)\)", line).group(1) for line in runs]


def verdicts(data: dict) -> dict[str, str]:
    return {f["path"]: f["status"] for f in data["fixes"]}


@pytest.mark.parametrize(("k", "bad"), [(6, 0), (20, 1), (8, 3)])
def test_grouped_rejects_every_bad_fix_and_accepts_every_good_one(tmp_path, capsys, k, bad):
    repo = make_planted_repo(tmp_path / "repo", k, bad)
    data, runs = night_and_runs(repo, capsys)
    expected = {f"pkg/mod_{i}.py": "rejected" if i >= k - bad else "verified" for i in range(k)}
    assert verdicts(data) == expected
    # Fixes first: the whole group once; the base commit runs only the tests that failed,
    # and each fix a failing test executed runs alone on just those tests.
    assert data["suite_runs"] == 1
    assert data["partial_runs"] == bad
    assert data["baseline_runs"] == {"full": 0, "partial": 1 if bad else 0}
    # Each run said what it runs, in the order they started (the last ones in parallel).
    assert len(runs) == len(data["test_runs"])
    assert kinds(runs)[0] == "group"
    assert f"— {k} fixes: pkg/mod_0.py:" in runs[0] and f"and {k - 3} more" in runs[0]
    if bad:
        assert kinds(runs)[1:] == ["baseline"] + ["alone"] * bad
        assert f"the {bad} failing test(s) on the base commit" in runs[1]
        suspects = runs[2:]
        assert all(f"a failing test of a group of {k} ran (1 fix)" in s for s in suspects)
        assert all("(only the 1 test(s) that failed)" in s for s in suspects)
        assert not any(n["text"].startswith("no baseline") for n in data["notes"])
    else:
        assert kinds(runs) == ["group"]
        assert any(n["text"] == "no baseline was needed: every test passed with the fixes"
                   for n in data["notes"])  # fmt: skip
    for fix in data["fixes"]:
        if fix["status"] == "verified":
            if bad:
                assert f"in a group of {k}: every test that executed it passed" in fix["reason"]
            else:
                assert f"in a group of {k} that passed together" in fix["reason"]
                assert "no baseline was needed" in fix["reason"]
            assert fix["branch"] in git(repo, "branch", "--list", fix["branch"])
        else:
            assert "test_audit_" in fix["reason"]


def test_each_mode_pays_one_run_per_fix_and_agrees(tmp_path, capsys):
    repo = make_planted_repo(tmp_path / "repo", 6, 2, mode="each")
    data = night(repo, capsys)
    assert verdicts(data) == {
        f"pkg/mod_{i}.py": "rejected" if i >= 4 else "verified" for i in range(6)
    }
    # One run per fix; for each rejected one, its failing test on the base commit and a
    # confirming rerun of just that test.
    assert data["suite_runs"] == 6
    assert data["partial_runs"] == 2
    assert data["baseline_runs"] == {"full": 0, "partial": 2}
    assert all("alone" in f["reason"] for f in data["fixes"] if f["status"] == "verified")


def test_fixes_in_one_function_are_never_grouped(make_repo, capsys):
    source = "def both(xs, ys):\n    return sorted(list(xs)), sorted(list(ys))\n"
    test = (
        "from pkg.m import both\n\n\ndef test_both():\n"
        "    assert both('ba', 'dc') == (['a', 'b'], ['c', 'd'])\n"
    )
    repo = make_repo(files={"pkg/__init__.py": "", "pkg/m.py": source, "tests/test_m.py": test})
    data = night(repo, capsys, "--recipe", "unnecessary-copies")
    assert [f["status"] for f in data["fixes"]] == ["verified", "verified"]
    assert data["suite_runs"] == 2
    assert all("alone" in f["reason"] for f in data["fixes"])


def test_an_unattributable_failure_is_found_by_bisection(tmp_path, capsys):
    repo = make_planted_repo(tmp_path / "repo", 6, 1)
    # A test that depends on the bad fix's file without executing it: coverage, tracebacks,
    # names and imports point at no fix.
    sneaky = (
        "from pathlib import Path\n\n\ndef test_everything():\n"
        "    pkg = Path(__file__).resolve().parent.parent / 'pkg'\n"
        "    texts = [(pkg / f'mod_{i}.py').read_text() for i in range(6)]\n"
        "    assert 'any([' in texts[5]\n"
    )
    (repo / "tests" / "test_mod_5.py").write_text(sneaky, encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "sneaky test")
    data, runs = night_and_runs(repo, capsys)
    assert verdicts(data) == {
        f"pkg/mod_{i}.py": "rejected" if i == 5 else "verified" for i in range(6)
    }
    # The group once; then the failing test alone: on the base commit, with the first half
    # (passes), [3], [4] and [5]: one suite run instead of one per fix.
    assert data["suite_runs"] == 1
    assert data["partial_runs"] == 4
    assert kinds(runs) == ["group", "baseline", "bisect", "bisect", "bisect", "alone"]
    assert "— first half of a failing group of 6 (3 fixes): pkg/mod_0.py:" in runs[2]
    assert "— first half of a failing group of 3 (1 fix): pkg/mod_3.py:" in runs[3]
    assert "— one fix: pkg/mod_5.py:" in runs[5]
    assert all("(only the 1 test(s) that failed)" in r for r in runs[2:])


FLAKY_TEST = """\
import os
from pathlib import Path


def test_flaky():
    counter = Path(os.environ["NIGHTCREW_FLAKY_COUNTER"])
    runs = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(runs))
    assert runs != 1, "fails on its first run"
"""


def add_flaky_test(repo: Path, state: Path) -> None:
    """The flaky test keeps its run count in ``state``, which the sandbox lets it write."""
    (repo / "tests" / "test_flaky.py").write_text(FLAKY_TEST, encoding="utf-8")
    config = repo / ".github" / "nightcrew.yml"
    config.write_text(config.read_text() + f"sandbox:\n  writable: [{state}]\n")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "flaky test")


def test_a_flaky_test_never_rejects_a_good_fix_silently(tmp_path, capsys, monkeypatch):
    counter = tmp_path / "runs"
    monkeypatch.setenv("NIGHTCREW_FLAKY_COUNTER", str(counter))
    repo = make_planted_repo(tmp_path / "repo", 3, 0)
    add_flaky_test(repo, tmp_path)
    data = night(repo, capsys)
    assert set(verdicts(data).values()) == {"verified"}
    assert any(n["kind"] == "flaky" and "test_flaky" in n["text"] for n in data["notes"])


def test_a_flaky_test_in_each_mode_is_rerun_once(tmp_path, capsys, monkeypatch):
    counter = tmp_path / "runs"
    monkeypatch.setenv("NIGHTCREW_FLAKY_COUNTER", str(counter))
    repo = make_planted_repo(tmp_path / "repo", 1, 0, mode="each")
    add_flaky_test(repo, tmp_path)
    data, runs = night_and_runs(repo, capsys)
    # It fails with the fix, passes on the base commit (so it is a new failure), and
    # passes when it alone runs again with the fix.
    assert kinds(runs) == ["alone", "baseline", "rerun"]
    assert "— one fix that failed once, again: pkg/mod_0.py:" in runs[2]
    (fix,) = data["fixes"]
    assert fix["status"] == "verified"
    assert "failed once and passed on a rerun" in fix["reason"]
    assert data["suite_runs"] == 1 and data["partial_runs"] == 1


def test_fail_fast_rejects_on_the_related_tests_alone(tmp_path, capsys):
    repo = make_planted_repo(tmp_path / "repo", 2, 1, mode="each")
    data, runs = night_and_runs(repo, capsys, "--fail-fast")
    assert sorted(kinds(runs)) == ["alone", "baseline", "related", "related", "related"]
    assert any("the tests related to pkg/mod_1.py:" in r and "(tests/test_mod_1.py)" in r
               for r in runs)  # fmt: skip
    assert any("again (tests/test_mod_1.py)" in r for r in runs)
    bad = next(f for f in data["fixes"] if f["path"] == "pkg/mod_1.py")
    assert bad["status"] == "rejected"
    assert "the tests related to the change failed twice" in bad["reason"]
    assert "tests/test_mod_1.py" in bad["reason"]
    steps = [s["step"] for s in bad["verification"]]
    assert "related-tests" in steps and "tests" not in steps
    good = next(f for f in data["fixes"] if f["path"] == "pkg/mod_0.py")
    assert good["status"] == "verified"
    assert [s["step"] for s in good["verification"]][-2:] == ["related-tests", "tests"]
