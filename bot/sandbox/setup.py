"""The night's sandbox from its config; a required one that cannot run is bad input at its line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.config import RepoConfig
from bot.errors import UserError
from bot.recipes.yamlpos import display_path
from bot.sandbox import bwrap
from bot.sandbox.bwrap import Sandbox


def night_sandbox(
    config: RepoConfig, top: Path, out: Path, bwrap_path: str | None, keep: Iterable[Path] = ()
) -> Sandbox:
    """The night's sandbox; a required one that cannot run stops the night before any work.

    ``keep`` stays visible inside it: the tests' interpreter, its virtualenv, its base Python.
    """
    scratch = out / "sandbox"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return bwrap.prepare(
            config.sandbox_mode,
            repo=top,
            scratch=scratch,
            extra_hidden=config.sandbox_hide,
            bwrap=bwrap_path,
            network=config.sandbox_network,
            writable=config.sandbox_writable,
            keep=keep,
        )
    except bwrap.SandboxUnavailable as exc:
        source = display_path(config.source) if config.source else None
        raise UserError(str(exc), source, config.sandbox_line, "sandbox.mode") from None
