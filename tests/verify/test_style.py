"""The repository's own style: which setting sets the limit, which formatter, which lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.verify.style import (
    Hunk,
    Limit,
    LongLine,
    Style,
    describe,
    long_hunks,
    parse_style,
    read_style,
    ruff_config_of,
)

RUFF_AND_FORMAT = '[tool.ruff]\nline-length = 100\n\n[tool.ruff.format]\nquote-style = "double"\n'
PRE_COMMIT_RUFF = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.17.0
    hooks:
      - id: ruff
      - id: ruff-format
"""
PRE_COMMIT_BLACK = """\
repos:
  - repo: https://github.com/psf/black
    rev: 24.1.0
    hooks:
      - id: black
"""


@pytest.mark.parametrize(
    ("files", "ruff_config", "limit", "formatter"),
    [
        pytest.param({}, None, None, None, id="nothing-configured"),
        pytest.param(
            {"pyproject.toml": "[project]\nname = 'x'\n"}, None, None, None, id="no-tool-tables"
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"},
            "pyproject.toml",
            (100, "pyproject.toml [tool.ruff] line-length"),
            None,
            id="ruff-line-length",
        ),
        pytest.param(
            {"pyproject.toml": RUFF_AND_FORMAT},
            "pyproject.toml",
            (100, "pyproject.toml [tool.ruff] line-length"),
            ("ruff", "pyproject.toml [tool.ruff.format]"),
            id="ruff-format-table",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff.format]\nquote-style = 'single'\n"},
            "pyproject.toml",
            (88, "ruff format's default, pyproject.toml [tool.ruff.format]"),
            ("ruff", "pyproject.toml [tool.ruff.format]"),
            id="ruff-format-default-length",
        ),
        pytest.param(
            {"ruff.toml": "line-length = 120\n[format]\n"},
            "ruff.toml",
            (120, "ruff.toml line-length"),
            ("ruff", "ruff.toml [format]"),
            id="ruff-toml",
        ),
        pytest.param(
            {".ruff.toml": "[lint.pycodestyle]\nmax-line-length = 99\n"},
            ".ruff.toml",
            (99, ".ruff.toml [lint.pycodestyle] max-line-length"),
            None,
            id="ruff-pycodestyle",
        ),
        pytest.param(
            {"pkg/ruff.toml": "line-length = 60\n", "pyproject.toml": RUFF_AND_FORMAT},
            "pkg/ruff.toml",
            (60, "pkg/ruff.toml line-length"),
            None,
            id="nearest-ruff-config-wins",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.black]\nline-length = 100\n"},
            None,
            (100, "pyproject.toml [tool.black] line-length"),
            ("black", "pyproject.toml [tool.black]"),
            id="black",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.black]\ntarget-version = ['py311']\n"},
            None,
            (88, "black's default, pyproject.toml [tool.black]"),
            ("black", "pyproject.toml [tool.black]"),
            id="black-default-length",
        ),
        pytest.param(
            {"setup.cfg": "[metadata]\nname = x\n\n[flake8]\nmax-line-length = 119\n"},
            None,
            (119, "setup.cfg [flake8] max-line-length"),
            None,
            id="setup-cfg-flake8",
        ),
        pytest.param(
            {"tox.ini": "[tox]\nenvlist = py311\n[flake8]\nmax_line_length = 100\n"},
            None,
            (100, "tox.ini [flake8] max_line_length"),
            None,
            id="tox-ini-flake8-underscores",
        ),
        pytest.param(
            {".flake8": "[flake8]\nmax-line-length = 120  # the team's choice\n"},
            None,
            (120, ".flake8 [flake8] max-line-length"),
            None,
            id="dot-flake8-inline-comment",
        ),
        pytest.param(
            {"setup.cfg": "[metadata]\nname = x\n", "tox.ini": "[flake8]\nmax-line-length = 90\n"},
            None,
            (90, "tox.ini [flake8] max-line-length"),
            None,
            id="flake8-first-file-with-the-section",
        ),
        pytest.param(
            {
                "setup.cfg": "[flake8]\nignore = E203\n",
                "tox.ini": "[flake8]\nmax-line-length = 90\n",
            },
            None,
            None,
            None,
            id="flake8-reads-one-file-only",
        ),
        pytest.param(
            {"tox.ini": "[pep8]\nmax-line-length = 110\n"},
            None,
            (110, "tox.ini [pep8] max-line-length"),
            None,
            id="pep8",
        ),
        pytest.param(
            {"setup.cfg": "[pycodestyle]\nmax-line-length = 95\n"},
            None,
            (95, "setup.cfg [pycodestyle] max-line-length"),
            None,
            id="pycodestyle",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.flake8]\nmax-line-length = 101\n"},
            None,
            (101, "pyproject.toml [tool.flake8] max-line-length"),
            None,
            id="flake8-pyproject",
        ),
        pytest.param(
            {
                "pyproject.toml": "[tool.black]\nline-length = 100\n",
                "setup.cfg": "[flake8]\nmax-line-length = 79\n",
            },
            None,
            (79, "setup.cfg [flake8] max-line-length"),
            ("black", "pyproject.toml [tool.black]"),
            id="the-lowest-limit-wins",
        ),
        pytest.param(
            {
                "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
                ".pre-commit-config.yaml": PRE_COMMIT_RUFF,
            },
            "pyproject.toml",
            (100, "pyproject.toml [tool.ruff] line-length"),
            ("ruff", ".pre-commit-config.yaml ruff-format hook"),
            id="pre-commit-ruff-format",
        ),
        pytest.param(
            {".pre-commit-config.yaml": PRE_COMMIT_BLACK},
            None,
            None,
            ("black", ".pre-commit-config.yaml black hook"),
            id="a-hook-names-a-formatter-never-a-limit",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff]\nline-length = 100\n", ".ruff.toml": "[lint]\n"},
            ".ruff.toml",
            None,
            None,
            id="only-the-ruff-config-ruff-uses",
        ),
    ],
)
def test_parse_style(files, ruff_config, limit, formatter):
    style = parse_style(files, ruff_config)
    assert style.problems == ()
    assert style.limit == (Limit(*limit) if limit else None)
    assert (style.formatter, style.formatter_source) == (formatter or (None, ""))


@pytest.mark.parametrize(
    ("files", "ruff_config", "problem"),
    [
        pytest.param(
            {"setup.cfg": "[flake8]\nmax-line-length = wide\n"},
            None,
            "setup.cfg [flake8] max-line-length = 'wide' is not a line length: ignored",
            id="not-a-number",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff]\nline-length = true\n"},
            "pyproject.toml",
            "pyproject.toml [tool.ruff] line-length = True is not a line length: ignored",
            id="a-boolean",
        ),
        pytest.param(
            {"tox.ini": "[flake8]\nmax-line-length = 0\n"},
            None,
            "tox.ini [flake8] max-line-length = '0' is not a line length: ignored",
            id="zero",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.black\nline-length = 100\n"},
            None,
            "pyproject.toml is not valid TOML",
            id="bad-toml",
        ),
        pytest.param(
            {"setup.cfg": "max-line-length = 100\n"},
            None,
            "setup.cfg cannot be read as INI",
            id="ini-without-a-section",
        ),
        pytest.param(
            {".pre-commit-config.yaml": "repos: [\n"},
            None,
            ".pre-commit-config.yaml is not valid YAML",
            id="bad-yaml",
        ),
    ],
)
def test_unreadable_settings_are_ignored_and_said(files, ruff_config, problem):
    style = parse_style(files, ruff_config)
    assert style.limit is None
    assert len(style.problems) == 1
    assert style.problems[0].startswith(problem)


def test_percent_signs_in_setup_cfg_are_not_interpolation():
    files = {"setup.cfg": "[tool:pytest]\nlog_format = %(message)s\n[flake8]\nmax-line-length=99\n"}
    assert parse_style(files).limit == Limit(99, "setup.cfg [flake8] max-line-length")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "path", "expected"),
    [
        pytest.param({"pyproject.toml": "[project]\n"}, "a.py", None, id="pyproject-without-ruff"),
        pytest.param(
            {"pyproject.toml": "[tool.ruff]\n", "ruff.toml": "", ".ruff.toml": ""},
            "a.py",
            ".ruff.toml",
            id="dot-ruff-toml-first",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff]\n", "ruff.toml": ""},
            "a.py",
            "ruff.toml",
            id="then-ruff-toml",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff]\n", "pkg/pyproject.toml": "[project]\n"},
            "pkg/sub/a.py",
            "pyproject.toml",
            id="up-past-a-pyproject-without-ruff",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff]\n", "pkg/ruff.toml": ""},
            "pkg/sub/a.py",
            "pkg/ruff.toml",
            id="nearest",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.ruff\n"},
            "a.py",
            "pyproject.toml",
            id="broken-is-ruffs-to-say",
        ),
    ],
)
def test_ruff_config_of(tmp_path, files, path, expected):
    assert ruff_config_of(write(tmp_path, files), path) == expected


def test_read_style_reads_the_files_the_tools_read(tmp_path):
    tree = write(
        tmp_path,
        {
            "setup.cfg": "[flake8]\nmax-line-length = 119\n",
            "pkg/ruff.toml": "line-length = 100\n[format]\n",
            "other/ruff.toml": "line-length = 200\n",  # not on pkg/a.py's way up
        },
    )
    assert read_style(tree, "pkg/a.py") == Style(
        Limit(100, "pkg/ruff.toml line-length"), "ruff", "pkg/ruff.toml [format]"
    )
    assert read_style(tree, "a.py") == Style(Limit(119, "setup.cfg [flake8] max-line-length"))
    assert read_style(tmp_path / "nothing-here", "a.py") == Style()


def test_read_style_says_a_file_it_cannot_decode(tmp_path):
    (tmp_path / "setup.cfg").write_bytes(b"[flake8]\nmax-line-length = 99 # \xff\n")
    style = read_style(tmp_path, "a.py")
    assert style.limit is None
    assert style.problems[0].startswith("setup.cfg is unreadable")


# --------------------------------------------------------------------------- changed lines

JOINED_OLD = "def f(items, key):\n    return sorted(list(\n        items), key=key)\n"
JOINED_NEW = "def f(items, key):\n    return sorted(items, key=key)\n"


@pytest.mark.parametrize(
    ("old", "new", "limit", "expected"),
    [
        pytest.param(
            JOINED_OLD, JOINED_NEW, 30, [Hunk(2, 2, (LongLine(2, 33),))], id="a-join-goes-over"
        ),
        pytest.param(JOINED_OLD, JOINED_NEW, 33, [], id="exactly-at-the-limit"),
        pytest.param(
            "x = 1\n" + "y" * 50 + "\nz = 1\n",
            "x = 2\n" + "y" * 50 + "\nz = 1\n",
            10,
            [],
            id="already-long-and-unchanged",
        ),
        pytest.param(
            "value = sorted(list(items_with_a_long_name))\n",
            "value = sorted(items_with_a_long_name)\n",
            20,
            [],
            id="long-before-and-shorter-now",
        ),
        pytest.param(
            "a = 1\nvalue = sorted(list(items_with_a_long_name))\n",
            "a = 1\nvalue = sorted(list(items_with_a_long_name), key=str)\n",
            20,
            [Hunk(2, 2, (LongLine(2, 53),))],
            id="long-before-and-longer-now",
        ),
        pytest.param(
            "x = [\n    a,\n    b,\n]\n",
            "x = [a, b]  # noqa: E501\n",
            5,
            [],
            id="noqa-e501",
        ),
        pytest.param("x = [\n    a,\n    b,\n]\n", "x = [a, b]  # noqa\n", 5, [], id="bare-noqa"),
        pytest.param(
            "x = [\n    a,\n    b,\n]\n",
            "x = [a, b]  # noqa: F401\n",
            5,
            [Hunk(1, 1, (LongLine(1, 24),))],
            id="noqa-for-another-rule",
        ),
        pytest.param(
            "x = f(\n    a)\n", "x = f(a)      \n", 8, [], id="trailing-blanks-do-not-count"
        ),
        pytest.param(
            "x = f(\r\n    a)\r\ny = 1\r\n",
            "x = f(a)\r\ny = 1\r\n",
            7,
            [Hunk(1, 1, (LongLine(1, 8),))],
            id="crlf",
        ),
        pytest.param(
            "a = f(\n  x)\nb = 1\nc = 2\nd = g(\n  y)\n",
            "a = f(x)\nb = 1\nc = 2\nd = g(y)\n",
            7,
            [Hunk(1, 1, (LongLine(1, 8),)), Hunk(4, 4, (LongLine(4, 8),))],
            id="two-hunks",
        ),
        pytest.param(
            "x = 1\n", "x = 1\ny = 'long line'\n", 5, [Hunk(2, 2, (LongLine(2, 15),))], id="insert"
        ),
        pytest.param("x = 'long line'\ny = 1\n", "y = 1\n", 5, [], id="delete"),
    ],
)
def test_long_hunks(old, new, limit, expected):
    assert long_hunks(old, new, limit) == expected


def test_describe_names_the_line_the_limit_and_its_file():
    limit = Limit(119, "setup.cfg [flake8] max-line-length")
    assert describe("pkg/a.py", LongLine(12, 128), limit) == (
        "pkg/a.py line 12 is 128 characters, over the repository's limit of 119 "
        "(setup.cfg [flake8] max-line-length)"
    )
