"""Shared set-ups for GitHub tests: a workspace with a bare origin, the fake GitHub, proposals.

A test module makes its fixture from ``make_hub`` (``yield from make_hub(tmp_path)``), so
tests/conftest.py stays as it is.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git

from bot import gitops
from bot.github.client import Connection, connect
from bot.github.pacing import Pacer, WaitBudget
from bot.model import Finding, fingerprint
from bot.publish import messages
from bot.publish.proposal import Proposal
from bot.publish.pulls import GitHubPublisher
from bot.recipes.model import PrSettings, Recipe
from bot.report.results import Step
from tests.conftest import git as run_git
from tests.conftest import init_repo
from tests.fakes.github import FakeGitHub

TOKEN = "ghs_Sup3rS3cretT0kenForTests0000000000"
OWNER, NAME = "octo-org", "demo"
IDENTITY = ("Nightcrew", "nightcrew@users.noreply.github.com")
FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "def a():\n    return list([1, 2])\n",
    "pkg/b.py": "def b():\n    return list([3, 4])\n",
    "pkg/c.py": "def c():\n    return list([5, 6])\n",
    "pkg/d.py": "def d():\n    return list([7, 8])\n",
    "README.md": "demo\n",
}
RECIPE = Recipe(
    id="tidy-demo",
    title="Unnecessary list() call",
    description=(
        "Calling list() on a list literal copies it for nothing.\n\n"
        "Dropping the call saves an allocation. Reported by @someone-in-code."
    ),
    version=2,
    pr=PrSettings(labels=("nightcrew", "cleanup")),
)


@dataclass
class Hub:
    """A workspace whose origin is served by a fake GitHub, and ways to act on both."""

    workspace: Path
    origin: Path
    gh: FakeGitHub
    token: str = TOKEN
    pacer_sleeps: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # the retry layer's (budget's) sleeps

    @property
    def repo(self) -> git.Repo:
        return git.Repo(self.workspace)

    def connection(self, **kwargs: Any) -> Connection:
        """Retries sleep into ``waits`` (no test waits for real), from a budget of 600s."""
        pacer = kwargs.pop("pacer", None) or Pacer(0.0, sleep=self.pacer_sleeps.append)
        budget = kwargs.pop("budget", None) or WaitBudget(600.0, sleep=self.waits.append)
        options: dict[str, Any] = {
            "retries": 3,
            "backoff": 0.0,
            "timeout": 10,
            "pacer": pacer,
            "budget": budget,
        }
        options.update(kwargs)
        return connect(self.token, self.gh.api_url, **options)

    def publisher(self, connection: Connection | None = None, **kwargs: Any) -> GitHubPublisher:
        options: dict[str, Any] = {"token": self.token, "push_backoff": 0.0}
        options.update(kwargs)
        return GitHubPublisher(
            connection or self.connection(), f"{OWNER}/{NAME}", self.repo, "main", **options
        )

    def base(self) -> str:
        return run_git(self.workspace, "rev-parse", "HEAD").strip()

    def proposal(
        self,
        path: str = "pkg/a.py",
        *,
        recipe: Recipe = RECIPE,
        occurrence: int = 0,
        message: str = "Unnecessary `list()` call (rewrite as a literal)",
        new_text: str | None = None,
        run: str = "",
    ) -> Proposal:
        """A verified fix as the night makes one: a real commit on the base, by Nightcrew."""
        repo = self.repo
        base = self.base()
        old = (self.workspace / path).read_text(encoding="utf-8")
        text = new_text if new_text is not None else old.replace("list([", "[").replace("])", "]")
        snippet = next(line.strip() for line in old.splitlines() if "list(" in line)
        finding = Finding(
            recipe=recipe.id,
            rule="ruff:C410",
            path=path,
            start_line=2,
            start_col=12,
            end_line=2,
            end_col=26,
            message=message,
            fix_title="Rewrite as a tuple literal",
            snippet=snippet,
            occurrence=occurrence,
            fingerprint=fingerprint(recipe.id, "ruff:C410", path, snippet, occurrence),
        )
        evidence = [
            "guard: 1 changed line(s), in scope",
            "compiles",
            "ruff: no new violations",
            "`python -m pytest -q`: 3 tests, no new failures (0 failing before and after), 0.4s",
        ]
        if run:  # two runs at the same second would otherwise make the very same commit
            evidence.append(f"run {run}")
        with gitops.worktree(repo, base, finding.short_fingerprint) as tree:
            (tree / path).write_text(text, encoding="utf-8")
            commit_message = messages.commit_message(recipe, finding, evidence)
            sha = gitops.commit_all(tree, commit_message, *IDENTITY)
            diff = gitops.diff_text(tree, base)
        return Proposal(
            recipe=recipe,
            finding=finding,
            branch=messages.branch_name(recipe, finding),
            base=base,
            commit=sha,
            title=messages.title(recipe, finding),
            message=commit_message,
            evidence=tuple(evidence),
            steps=(
                Step("guard", True, "diff within limits"),
                Step("compile", True, "compiles"),
                Step("tests", True, "no new failures", "python -m pytest -q", 0.42),
            ),
            diff=diff,
        )

    def advance_base(self, path: str, text: str, message: str = "human change") -> str:
        """A person commits to main (through origin); the workspace follows, as a checkout would."""
        (self.workspace / path).write_text(text, encoding="utf-8")
        run_git(self.workspace, "add", path)
        run_git(self.workspace, "commit", "--quiet", "-m", message)
        subprocess.run(
            ["git", "push", "--quiet", str(self.origin), "HEAD:refs/heads/main"],
            cwd=self.workspace,
            check=True,
            capture_output=True,
        )
        return self.base()

    def push_as_human(self, branch: str, path: str, text: str) -> str:
        """A person checks out a Nightcrew branch, commits and pushes to it."""
        clone = self.workspace.parent / f"human-{len(list(self.workspace.parent.iterdir()))}"
        run_git(
            self.workspace.parent,
            "clone",
            "--quiet",
            "--branch",
            branch,
            str(self.origin),
            str(clone),
        )
        run_git(clone, "config", "user.name", "Pat Person")
        run_git(clone, "config", "user.email", "pat@example.invalid")
        (clone / path).write_text(text, encoding="utf-8")
        run_git(clone, "commit", "--quiet", "-am", "my own tweak")
        run_git(clone, "push", "--quiet", "origin", branch)
        return run_git(clone, "rev-parse", "HEAD").strip()


def make_hub(root: Path, *, over_http: bool = True) -> Iterator[Hub]:
    workspace = init_repo(root / "workspace", FILES)
    origin = root / "workspace-origin.git"
    with FakeGitHub(origin, OWNER, NAME, TOKEN) as gh:
        if over_http:
            run_git(workspace, "remote", "set-url", "origin", gh.clone_url)
        yield Hub(workspace, origin, gh)
        assert not gh.crashes, gh.crashes[0]
