"""Shared test helpers: real git repositories (with a bare `origin`) built in tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_REPO = ROOT / "examples" / "demo-repo"
# The site-packages of the Python running these tests: it has pytest and Nightcrew's deps.
SHARED_SITE = Path(sysconfig.get_paths()["purelib"])


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def init_repo(path: Path, files: dict[str, str] | None = None, source: Path | None = None) -> Path:
    """A git repository at ``path`` with one commit, pushed to a bare `origin` beside it."""
    path.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.copytree(source, path, dirs_exist_ok=True)
    for name, text in (files or {}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.name", "Test Human")
    git(path, "config", "user.email", "human@example.invalid")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", "initial")
    origin = path.parent / f"{path.name}-origin.git"
    git(path.parent, "init", "--quiet", "--bare", str(origin))
    git(path, "remote", "add", "origin", str(origin))
    git(path, "push", "--quiet", "origin", "main")
    return path


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "repo", files: dict[str, str] | None = None, source: Path | None = None):
        return init_repo(tmp_path / name, files, source)

    return make


@pytest.fixture
def demo_repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo("inventory", source=DEMO_REPO)


def _sandbox_problem() -> str | None:
    """Why bubblewrap cannot sandbox here, or None when it works."""
    from bot.sandbox import bwrap

    return bwrap.problem_with(shutil.which("bwrap"))


SANDBOX_PROBLEM = _sandbox_problem()
# Off CI (a developer's Mac, say) tests of the sandbox are skipped, saying why; on CI they
# run, and fail, so a CI machine without a working bubblewrap can never pass quietly.
needs_bwrap = pytest.mark.skipif(
    SANDBOX_PROBLEM is not None and os.environ.get("CI", "").lower() != "true",
    reason=f"no sandbox here: {SANDBOX_PROBLEM}",
)


def venv_site(venv: Path) -> Path:
    """A virtualenv's site-packages (made by :func:`make_venv`: this Python's version)."""
    return venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"


def make_venv(
    venv: Path, *, sites: tuple[Path, ...] = (SHARED_SITE,), modules: dict[str, str] | None = None
) -> Path:
    """A real virtualenv at ``venv``, made without network (no pip); returns its bin/python.

    ``sites`` are reachable from it through a ``.pth`` file (by default this Python's own
    site-packages, so it has pytest); ``modules`` are written into its site-packages, so only
    it can import them.
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    site = venv_site(venv)
    if sites:
        (site / "shared.pth").write_text("".join(f"{p}\n" for p in sites), encoding="utf-8")
    for name, text in (modules or {}).items():
        (site / name).write_text(text, encoding="utf-8")
    return venv / "bin" / "python"
