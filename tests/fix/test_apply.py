"""bot.fix.apply: a fix made in its worktree, bounded by the guard, its patch taken."""

from __future__ import annotations

from bot import gitops
from bot.fix.apply import Fixed, apply_fix
from bot.fix.fixers import EditFixer
from bot.fix.guard import GuardPolicy
from bot.model import Finding, TextEdit
from bot.recipes.model import Recipe
from bot.report.results import FixResult, Reason, Status
from tests.conftest import git, init_repo

RECIPE = Recipe(id="r", title="t", description="d", include=("**/*.py",))
SOURCE = "def f(xs):\n    return list(sorted(xs))\n"


def finding(line: int, edit: TextEdit, path: str = "pkg/core.py") -> Finding:
    return Finding("r", "ruff:C414", path, line, 1, line, 5, "m", (edit,), fingerprint="f" * 64)


def test_a_fix_that_does_not_apply_is_rejected_with_its_reason(tmp_path):
    repo_path = init_repo(tmp_path / "repo", {"pkg/core.py": SOURCE})
    repo = gitops.open_repo(repo_path)
    base = gitops.resolve_base(repo, None)
    bogus = finding(40, TextEdit(40, 1, 40, 5, "x"))
    with gitops.worktree(repo, base, "fix") as tree:
        result = apply_fix(EditFixer(), RECIPE, bogus, tree, base, GuardPolicy(("**/*.py",)))
    assert isinstance(result, FixResult)
    assert (result.status, result.kind) == (Status.REJECTED, Reason.FIX_FAILED)
    assert "the fix does not apply to pkg/core.py" in result.reason
    assert "line 40 is outside the file" in result.reason
    assert len(git(repo_path, "worktree", "list").splitlines()) == 1


def test_a_fix_outside_the_scope_is_refused_by_the_guard(tmp_path):
    repo_path = init_repo(tmp_path / "repo", {"pkg/core.py": SOURCE})
    repo = gitops.open_repo(repo_path)
    base = gitops.resolve_base(repo, None)
    fix = finding(2, TextEdit(2, 12, 2, 28, "sorted(xs)"))
    with gitops.worktree(repo, base, "fix") as tree:
        result = apply_fix(EditFixer(), RECIPE, fix, tree, base, GuardPolicy(("docs/**",)))
    assert isinstance(result, FixResult)
    assert (result.status, result.kind) == (Status.REJECTED, Reason.GUARD)
    assert [s.name for s in result.steps] == ["guard"]


def test_a_fix_within_bounds_carries_its_patch_taken_before_any_code_runs(tmp_path):
    repo_path = init_repo(tmp_path / "repo", {"pkg/core.py": SOURCE})
    repo = gitops.open_repo(repo_path)
    base = gitops.resolve_base(repo, None)
    fix = finding(2, TextEdit(2, 12, 2, 28, "sorted(xs)"))
    with gitops.worktree(repo, base, "fix") as tree:
        result = apply_fix(EditFixer(), RECIPE, fix, tree, base, GuardPolicy(("**/*.py",)))
        # Whatever runs in the tree afterwards (an import, a test) cannot reach the patch.
        (tree / "pkg" / "planted.py").write_text("x = 1\n")
    assert isinstance(result, Fixed)
    assert result.paths == ["pkg/core.py"]
    assert "+    return sorted(xs)" in result.patch
    assert "planted" not in result.patch
    assert result.texts["pkg/core.py"] == (SOURCE, SOURCE.replace("list(sorted(xs))", "sorted(xs)"))
