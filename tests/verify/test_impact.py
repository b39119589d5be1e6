from __future__ import annotations

import pytest

from bot.verify.impact import ImportGraph, module_name


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/pkg/a.py", "pkg.a"),
        ("pkg/__init__.py", "pkg"),
        ("pkg/sub/b.py", "pkg.sub.b"),
        ("tests/test_a.py", "tests.test_a"),
        ("README.md", None),
        ("my-scripts/run.py", None),
    ],
)
def test_module_name(path, expected):
    assert module_name(path, ("src", "")) == expected


SOURCES = {
    "src/pkg/__init__.py": "from .core import run\n",
    "src/pkg/core.py": "from . import util\nimport json\n",
    "src/pkg/util.py": "",
    "src/pkg/other.py": "from pkg.util import helper\n",
    "src/pkg/sub/__init__.py": "",
    "src/pkg/sub/deep.py": "from ..core import run\n",
    "tests/test_core.py": "from pkg import core\n",
    "tests/test_other.py": "import pkg.other\n",
    "tests/test_deep.py": "from pkg.sub import deep\n",
    "tests/test_nothing.py": "import json\n",
}


def test_reach_follows_relative_and_absolute_imports():
    graph = ImportGraph(SOURCES)
    assert graph.reach("tests/test_deep.py") == {
        "tests/test_deep.py",
        "src/pkg/__init__.py",
        "src/pkg/sub/__init__.py",
        "src/pkg/sub/deep.py",
        "src/pkg/core.py",
        "src/pkg/util.py",
    }


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["src/pkg/util.py"], ["tests/test_core.py", "tests/test_deep.py", "tests/test_other.py"]),
        (["src/pkg/other.py"], ["tests/test_other.py"]),
        (["src/pkg/sub/deep.py"], ["tests/test_deep.py"]),
        (["README.md"], []),
    ],
)
def test_related_tests(changed, expected):
    graph = ImportGraph(SOURCES)
    tests = [p for p in SOURCES if p.startswith("tests/")]
    assert graph.related_tests(changed, tests) == expected


def test_unparsable_files_import_nothing():
    graph = ImportGraph({"pkg/a.py": "def (", "tests/test_a.py": "import pkg.a\n"})
    assert graph.reach("pkg/a.py") == {"pkg/a.py"}
    assert graph.reach("tests/test_a.py") == {"tests/test_a.py", "pkg/a.py"}
