"""Adapter: a pytest run of only some tests, named by the ids pytest's JUnit report gave them.

Fixes-first verification (``bot.verify.grouped``) re-runs only the tests that failed: on the
base commit, to tell old failures from new ones, and with fewer fixes, to find the one to
blame. pytest cannot be told a test by its JUnit id (``pkg.test_mod.TestA::test_b[1]``) on
its command line, and node ids (``pkg/test_mod.py::TestA::test_b[1]``) do not survive every
``rootdir``/``testpaths`` setup, so the ids go to a file and Nightcrew's pytest plugin
(``pytest_plugin``, loaded with ``-p``) deselects every collected test not named in it. The
rest of the command stays as the user wrote it: the same options, paths and conftest files.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bot.verify.coverage import PLUGIN, SUPPORT
from bot.verify.suite import pytest_index

SELECT_ENV = "NIGHTCREW_SELECT"  # the plugin's variable: the file of ids to keep
IDS_FILE = "selected-tests.txt"


def selectable(test_id: str) -> bool:
    """Whether a JUnit id names a test the plugin can select: a collection error (the
    module's name, no ``::``) is not a test, and only a full run can show it is gone."""
    return "::" in test_id and "\n" not in test_id


def select(
    argv: Sequence[str],
    env: Mapping[str, str],
    run_dir: Path,
    tests: Iterable[str],
    *,
    plugin_loaded: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """``argv`` and ``env`` of a pytest command that runs only ``tests``.

    ``plugin_loaded``: the command already loads the plugin (a coverage run), so only the
    list is added.
    """
    ids = sorted({t for t in tests if selectable(t)})
    listing = run_dir / IDS_FILE
    listing.write_text("".join(f"{t}\n" for t in ids), encoding="utf-8")
    run_env = dict(env)
    run_env[SELECT_ENV] = str(listing)
    if plugin_loaded:
        return list(argv), run_env
    index = pytest_index(argv)
    if index is None:
        raise ValueError("only a pytest command can run some of its tests")
    support = run_dir / SUPPORT
    support.mkdir(exist_ok=True)
    shutil.copyfile(Path(__file__).with_name("pytest_plugin.py"), support / f"{PLUGIN}.py")
    paths = [p for p in run_env.get("PYTHONPATH", "").split(os.pathsep) if p]
    run_env["PYTHONPATH"] = os.pathsep.join([*paths, str(support)])
    return [*argv[: index + 1], "-p", PLUGIN, *argv[index + 1 :]], run_env
