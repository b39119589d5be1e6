"""The dashboard issue's body -> its rules, last night and rejections, however edited. Pure.

People may edit the rules block by hand. ``parse`` is lenient: entries may be bare strings
(``"findings": ["0123abcd"]``), top-level keys may sit under ``"ignore"``, trailing commas
and ``//`` comments are forgiven, unknown fields are kept. A block that is still not JSON
is salvaged (every fingerprint, recipe id and glob that can be recognised) and flagged
``broken``, so the bot refuses to rewrite it and no rule is ever lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.dashboard import last_night
from bot.dashboard.page import KINDS, SECTIONS, Dashboard
from bot.dashboard.rules import IgnoreRules, Rule
from bot.publish import rejections as rejected

_BLOCK = re.compile(r"<!--\s*nightcrew:rules\s*-->(.*?)(?:<!--\s*/nightcrew:rules\s*-->|\Z)", re.S)
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)^ {0,3}\1[`~]*[ \t]*$", re.S | re.M)
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_LINE_COMMENT = re.compile(r'^((?:[^"\n]|"(?:\\.|[^"\\\n])*")*?)\s*//[^\n]*$', re.M)
_VALUE_KEYS = {"findings": ("fingerprint",), "recipes": ("recipe", "id"), "paths": ("glob", "path")}
_KNOWN = frozenset({"recipe", "path", "pr", "by", "reason", "at"})


def parse(body: str | None) -> Dashboard:
    """The rules (and last night) in a dashboard body, however people have edited it."""
    text = (body or "").replace("\r\n", "\n")  # bodies edited on github.com come back with CRLF
    blocks = [m.group(1) for m in _BLOCK.finditer(text)]
    if not blocks:
        return Dashboard(problems=("the rules block is missing: no rules are set",))
    rules, night, problems, broken = IgnoreRules(), None, [], False
    rejections: list[rejected.Rejection] = []
    for raw in blocks:
        fenced = _FENCED.search(raw)
        text = fenced.group(2) if fenced else raw
        data, error = _load(text)
        if error is not None:
            broken = True
            problems.append(f"the rules block is not valid JSON ({error}); rules were salvaged")
            rules = rules.merge(_salvage(text))
            continue
        read, found = _read(data)
        rules = rules.merge(read)
        problems += found
        if isinstance(data, Mapping):
            if night is None:
                night = last_night.from_json(data.get("night"))
            found, unread = rejected.read_list(data.get("rejections"))
            rejections = rejected.apply_changes(rejections, found, ())
            problems += unread
    problems += rules.problems()
    return Dashboard(rules, night, tuple(problems), broken, tuple(rejections))


def _load(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        error = f"line {exc.lineno}: {exc.msg}"
    relaxed = _TRAILING_COMMA.sub(r"\1", _LINE_COMMENT.sub(r"\1", text))
    try:
        return json.loads(relaxed), None
    except json.JSONDecodeError:
        return None, error


def _read(data: Any) -> tuple[list[Rule], list[str]]:
    if not isinstance(data, Mapping):
        return [], ["the rules block is not a JSON object"]
    nested = data.get("ignore")
    sources = [data, nested] if isinstance(nested, Mapping) else [data]
    rules: list[Rule] = []
    problems: list[str] = []
    for source in sources:
        for section in SECTIONS:
            entries = source.get(section)
            if entries is None:
                continue
            if not isinstance(entries, list):
                entries = [entries]
            for entry in entries:
                rule = _rule(section, entry)
                if rule is None:
                    problems.append(f"{section}: cannot read {json.dumps(entry)[:80]}")
                else:
                    rules.append(rule)
    return rules, problems


def _rule(section: str, entry: Any) -> Rule | None:
    kind = KINDS[section]
    if isinstance(entry, str):
        return Rule(kind, entry.strip()) if entry.strip() else None
    if not isinstance(entry, Mapping):
        return None
    value = next((entry[k] for k in _VALUE_KEYS[section] if isinstance(entry.get(k), str)), None)
    if not value or not value.strip():
        return None
    used = {next(k for k in _VALUE_KEYS[section] if entry.get(k) == value)}
    pr = entry.get("pr")
    fields: dict[str, Any] = {
        key: str(entry[key])
        for key in ("recipe", "path", "by", "reason", "at")
        if key not in used and isinstance(entry.get(key), str | int | float)
    }
    return Rule(
        kind,
        value.strip(),
        pr=pr if isinstance(pr, int) and not isinstance(pr, bool) else None,
        extra={k: v for k, v in entry.items() if k not in used and k not in _KNOWN},
        **fields,
    )


_KEYED = r'"{key}"\s*:\s*"((?:\\.|[^"\\\n])*)"'
_BARE = re.compile(r'(?<=[\[,])\s*"((?:\\.|[^"\\\n])*)"(?=\s*(?:[,\]]|\Z))')


def _salvage(text: str) -> list[Rule]:
    """Rules recognisable in a block that is not JSON: keyed values and bare strings."""
    positions = sorted(
        (m.start(), section) for section in SECTIONS for m in re.finditer(rf'"{section}"\s*:', text)
    )
    rules: list[Rule] = []
    for i, (start, section) in enumerate(positions):
        end = positions[i + 1][0] if i + 1 < len(positions) else len(text)
        chunk = text[start:end]
        chunk = chunk[chunk.index(":") + 1 :]
        values = [
            m.group(1)
            for key in _VALUE_KEYS[section]
            for m in re.finditer(_KEYED.format(key=key), chunk)
        ]
        values += [m.group(1) for m in _BARE.finditer(chunk)]
        rules += [Rule(KINDS[section], v.strip()) for v in values if v.strip()]
    return rules
