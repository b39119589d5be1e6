"""The repository's own style: its line-length limit, where it is set, and its formatter.

Pure but for :func:`read_style` and :func:`ruff_config_of`, which read the files the tools
themselves read: ruff's config nearest the file (``.ruff.toml``, ``ruff.toml``, then a
``pyproject.toml`` with ``[tool.ruff]``, folder by folder up to the root: ruff's order);
at the root ``pyproject.toml`` (``[tool.black]``, ``[tool.flake8]``), ``setup.cfg``,
``tox.ini`` and ``.flake8`` (``[flake8]``, ``[pycodestyle]``, ``[pep8]``) and
``.pre-commit-config.yaml`` (a ``ruff-format`` or ``black`` hook names the formatter). A
repository that configures none of them has no limit: ruff's and black's default of 88 is
not the repository's word.
"""

from __future__ import annotations

import configparser
import difflib
import re
import tomllib
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from bot.model import changed_region, line_starts, split_lines

RUFF_CONFIGS = (".ruff.toml", "ruff.toml", "pyproject.toml")  # ruff's order in one folder
FLAKE8_FILES = ("setup.cfg", "tox.ini", ".flake8")  # flake8 takes the first with [flake8]
PYCODESTYLE_FILES = ("setup.cfg", "tox.ini")
PRE_COMMIT = ".pre-commit-config.yaml"
ROOT_FILES = ("pyproject.toml", *FLAKE8_FILES, PRE_COMMIT)
FORMAT_DEFAULT = 88  # the line length ruff format and black use when none is set
_MAX_LIMIT = 10_000
# pycodestyle and ruff skip the long line that carries a bare noqa comment or one naming E501.
_NOQA = re.compile(r"#\s*noqa(?::(?P<codes>[\s\w,]*))?", re.I)


@dataclass(frozen=True)
class Limit:
    """A line-length limit and the setting it comes from, as a reader would look it up."""

    length: int
    source: str  # "setup.cfg [flake8] max-line-length"


@dataclass(frozen=True)
class Style:
    """What the repository says about one file's lines; nothing set means no limit."""

    limit: Limit | None = None
    formatter: str | None = None  # "ruff" (ruff format) or "black"
    formatter_source: str = ""  # "pyproject.toml [tool.ruff.format]"
    problems: tuple[str, ...] = ()  # settings that could not be read, and were ignored


@dataclass(frozen=True)
class LongLine:
    """A line of the fixed text over the limit (1-based; length in characters)."""

    line: int
    length: int


@dataclass(frozen=True)
class Hunk:
    """Changed lines ``first..last`` of the fixed text that bring lines over the limit."""

    first: int
    last: int
    long: tuple[LongLine, ...]


def ruff_config_of(tree: Path, path: str) -> str | None:
    """The ruff config that applies to ``path`` (relative to ``tree``), or None."""
    folder = PurePosixPath(path).parent
    while True:
        for name in RUFF_CONFIGS:
            candidate = (folder / name).as_posix().removeprefix("./")
            file = tree / candidate
            if file.is_file() and (name != "pyproject.toml" or _has_ruff_table(file)):
                return candidate
        if folder == folder.parent:
            return None
        folder = folder.parent


def _has_ruff_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    except tomllib.TOMLDecodeError:
        return True  # ruff reads it, and fails saying so; the check reports that
    return isinstance(data.get("tool"), dict) and "ruff" in data["tool"]


def read_style(tree: Path, path: str) -> Style:
    """The style that applies to ``path`` in ``tree`` (see the module's docstring)."""
    ruff = ruff_config_of(tree, path)
    files, unreadable = {}, []
    for name in sorted({*ROOT_FILES, *([ruff] if ruff else [])}):
        file = tree / name
        if file.is_file():
            try:
                files[name] = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                unreadable.append(f"{name} is unreadable ({exc}): ignored")
    style = parse_style(files, ruff)
    return replace(style, problems=(*unreadable, *style.problems))


def parse_style(files: Mapping[str, str], ruff_config: str | None = None) -> Style:
    """The style from config texts by path; ``ruff_config`` names the one ruff applies."""
    problems: list[str] = []
    limits: list[Limit] = []
    formatter, formatter_source = None, ""

    pyproject = _toml(files, "pyproject.toml", problems)
    if ruff_config is not None:
        data = pyproject if ruff_config == "pyproject.toml" else _toml(files, ruff_config, problems)
        line_length, codestyle, format_table = _ruff_settings(ruff_config, data, problems)
        if format_table and line_length is None:
            line_length = Limit(FORMAT_DEFAULT, f"ruff format's default, {format_table}")
        limits += [x for x in (line_length, codestyle) if x is not None]
        if format_table:
            formatter, formatter_source = "ruff", format_table
    hooks = _pre_commit_hooks(files.get(PRE_COMMIT), problems)
    if formatter is None and "ruff-format" in hooks:  # a hook names the tool, never a limit
        formatter, formatter_source = "ruff", f"{PRE_COMMIT} ruff-format hook"

    black = _table(pyproject, "tool", "black")
    if black is not None:
        length = _int(black.get("line-length"), "pyproject.toml [tool.black] line-length", problems)
        if length is not None:
            limits.append(Limit(length, "pyproject.toml [tool.black] line-length"))
        elif "line-length" not in black:
            limits.append(Limit(FORMAT_DEFAULT, "black's default, pyproject.toml [tool.black]"))
        if formatter is None:
            formatter, formatter_source = "black", "pyproject.toml [tool.black]"
    if formatter is None and "black" in hooks:
        formatter, formatter_source = "black", f"{PRE_COMMIT} black hook"

    flake8 = _table(pyproject, "tool", "flake8")  # the Flake8-pyproject plugin
    if flake8 is not None:
        limits += _ini_limit("pyproject.toml [tool.flake8]", flake8, problems)
    inis = _inis(files, problems)
    limits += _first_section(inis, FLAKE8_FILES, ("flake8",), problems)
    limits += _first_section(inis, PYCODESTYLE_FILES, ("pycodestyle", "pep8"), problems)

    limit = min(limits, key=lambda x: x.length) if limits else None  # the first of the lowest
    return Style(limit, formatter, formatter_source, tuple(problems))


def _toml(files: Mapping[str, str], name: str, problems: list[str]) -> dict[str, Any]:
    if name not in files:
        return {}
    try:
        return tomllib.loads(files[name])
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{name} is not valid TOML ({exc}): its settings are ignored")
        return {}


def _table(data: Mapping[str, Any], *keys: str) -> dict[str, Any] | None:
    for key in keys:
        value = data.get(key) if isinstance(data, Mapping) else None
        if not isinstance(value, dict):
            return None
        data = value
    return dict(data)


def _ruff_settings(
    name: str, data: dict[str, Any], problems: list[str]
) -> tuple[Limit | None, Limit | None, str]:
    """One ruff config's ``line-length``, its pycodestyle limit, and where its ``format`` is."""
    prefix = "tool.ruff." if name.endswith("pyproject.toml") else ""
    table = _table(data, "tool", "ruff") if prefix else data
    if table is None:
        return None, None, ""
    where = f"{name} {_where(prefix, 'line-length')}"
    length = _int(table.get("line-length"), where, problems)
    line_length = Limit(length, where) if length is not None else None
    codestyle_limit = None
    for section in ("lint.pycodestyle", "pycodestyle"):
        codestyle = _table(table, *section.split("."))
        if codestyle is not None and "max-line-length" in codestyle:
            where = f"{name} [{prefix}{section}] max-line-length"
            length = _int(codestyle["max-line-length"], where, problems)
            codestyle_limit = Limit(length, where) if length is not None else None
            break
    format_table = f"{name} [{prefix}format]" if isinstance(table.get("format"), dict) else ""
    return line_length, codestyle_limit, format_table


def _where(prefix: str, key: str) -> str:
    return f"[{prefix.rstrip('.')}] {key}" if prefix else key


def _first_section(
    inis: Mapping[str, configparser.RawConfigParser | None],
    names: tuple[str, ...],
    sections: tuple[str, ...],
    problems: list[str],
) -> list[Limit]:
    """The limit in the first of ``names`` with one of ``sections``, as the tool looks."""
    for name in names:
        parser = inis.get(name)
        for section in sections if parser is not None else ():
            if parser.has_section(section):
                return _ini_limit(f"{name} [{section}]", dict(parser.items(section)), problems)
    return []


def _inis(
    files: Mapping[str, str], problems: list[str]
) -> dict[str, configparser.RawConfigParser | None]:
    """Each INI file parsed once (None when it cannot be), as flake8 and pycodestyle read it."""
    parsed: dict[str, configparser.RawConfigParser | None] = {}
    for name in FLAKE8_FILES:
        if name not in files:
            continue
        parser = configparser.RawConfigParser(strict=False, inline_comment_prefixes=("#", ";"))
        try:
            parser.read_string(files[name], source=name)
        except configparser.Error as exc:
            line = getattr(exc, "lineno", None)
            why = exc.message.splitlines()[0] + (f" (line {line})" if line else "")
            problems.append(f"{name} cannot be read as INI: {why}; its settings are ignored")
            parsed[name] = None
        else:
            parsed[name] = parser
    return parsed


def _ini_limit(where: str, section: Mapping[str, Any], problems: list[str]) -> list[Limit]:
    for key in ("max-line-length", "max_line_length"):
        if key in section:
            length = _int(section[key], f"{where} {key}", problems)
            return [Limit(length, f"{where} {key}")] if length is not None else []
    return []


def _int(value: object, where: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 0 < number <= _MAX_LIMIT:
        problems.append(f"{where} = {value!r} is not a line length: ignored")
        return None
    return number


def _pre_commit_hooks(text: str | None, problems: list[str]) -> set[str]:
    if not text:
        return set()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        problems.append(f"{PRE_COMMIT} is not valid YAML: its hooks are ignored")
        return set()
    repos = data.get("repos") if isinstance(data, dict) else None
    return {
        str(hook.get("id"))
        for repo in (repos if isinstance(repos, list) else [])
        if isinstance(repo, dict) and isinstance(repo.get("hooks"), list)
        for hook in repo["hooks"]
        if isinstance(hook, dict)
    }


def line_length(line: str) -> int:
    """A line's length as pycodestyle counts it: characters, trailing blanks left out."""
    return len(line.rstrip())


def _exempt(line: str) -> bool:
    found = _NOQA.search(line)
    if found is None:
        return False
    codes = found.group("codes")
    return codes is None or bool({"E501", "B950"} & set(re.findall(r"\w+", codes.upper())))


def long_hunks(old: str, new: str, limit: int) -> list[Hunk]:
    """The fix's hunks that bring lines over ``limit``: more of them, or a longer one.

    A line that was already too long and is unchanged is no hunk; a changed line that was
    too long and got no longer (nor more numerous) is the fix's to keep.
    """
    start, old_middle, new_middle = changed_region(old, new)
    before = bisect_left(line_starts(new), start)  # lines both texts share at the top
    old_lines, new_lines = split_lines(old_middle), split_lines(new_middle)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "delete"):
            continue
        was = [n for n in map(line_length, old_lines[i1:i2]) if n > limit]
        now = [
            LongLine(before + j + 1, n)
            for j in range(j1, j2)
            if (n := line_length(new_lines[j])) > limit and not _exempt(new_lines[j])
        ]
        if now and (len(now) > len(was) or max(x.length for x in now) > max(was, default=0)):
            hunks.append(Hunk(before + j1 + 1, before + j2, tuple(now)))
    return hunks


def describe(path: str, line: LongLine, limit: Limit) -> str:
    """The reason a reviewer reads: the line, its length, the limit and where it is set."""
    return (
        f"{path} line {line.line} is {line.length} characters, over the repository's limit "
        f"of {limit.length} ({limit.source})"
    )
