"""Which verified fixes share one PR (pure): ``pr.grouping``, neighbouring lines, group names.

A recipe's ``pr.grouping`` (else the config's, else ``finding``) says which of a night's
verified fixes go into one PR, one commit each: ``finding`` (each its own PR), ``function``
(the def or class around the finding in the base file), ``file``, ``rule`` or ``recipe``.
Groups never mix recipes.

Whatever the grouping, two fixes on *neighbouring* lines are never two PRs: merged one after
the other they would conflict. Neighbours are changes in one file with at most
``APPLY_CONTEXT`` (3) unchanged lines between them: the context a patch carries, so the
second patch no longer applies once the first is in, and the same rule that keeps such
fixes out of one verification run (``verify.footprint``). git's three-way merge (what
GitHub's merge button does) conflicts only on overlapping or touching changes, so the rule
errs on the safe side. Neighbours of one recipe share a PR; a neighbour of another
recipe's fix, or of a fix already in an open PR, waits for a later night (when that PR is
merged or closed, the finding is found again on the new base, or is gone).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.model import Finding, split_lines
from bot.publish.messages import MODULE, function_field, slugify
from bot.recipes.model import Recipe
from bot.verify.footprint import APPLY_CONTEXT
from bot.verify.grouped import Candidate

Spans = Mapping[str, tuple[int, int]]  # path -> (first, last) changed line of the base


def grouping_of(recipe: Recipe, default: str) -> str:
    """The recipe's own ``pr.grouping`` wins; else the config's ``pr.grouping``."""
    return recipe.pr.grouping or default


def neighbours(a: Spans, b: Spans) -> bool:
    """Changes in one file with at most ``APPLY_CONTEXT`` unchanged lines between them."""
    return any(
        a0 - APPLY_CONTEXT - 1 <= b[path][1] and b[path][0] - APPLY_CONTEXT - 1 <= a1
        for path, (a0, a1) in a.items()
        if path in b
    )


def finding_spans(finding: Finding) -> dict[str, tuple[int, int]]:
    """Where a finding is, as spans: what an open PR for it is taken to change."""
    return {finding.path: (finding.start_line, max(finding.start_line, finding.end_line))}


@dataclass(frozen=True)
class Claim:
    """Lines a PR already changes: an open PR's finding, or a fix published tonight."""

    recipe: str
    spans: Spans
    where: str  # "already open as #12", "published tonight as <branch>", ...


@dataclass(frozen=True)
class Group:
    """Verified fixes that go into one PR, in commit order."""

    recipe: Recipe
    grouping: str
    members: tuple[Candidate, ...]
    # The def or class around all of the findings, when they share one (always, grouping by
    # function, unless they are module-level code); else "<module>".
    unit: str = MODULE

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(c.finding.fingerprint for c in self.members)


@dataclass
class Plan:
    groups: list[Group] = field(default_factory=list)
    waiting: dict[int, str] = field(default_factory=dict)  # candidate key -> why it waits


def plan(
    candidates: Sequence[Candidate],
    grouping: Callable[[Recipe], str],
    unit_of: Callable[[Finding], str],
    claims: Sequence[Claim] = (),
    *,
    one_group: bool = False,
) -> Plan:
    """Tonight's verified fixes as PRs: groups by ``grouping``, neighbours together.

    ``candidates`` come in the night's order; the first of two neighbours of different
    recipes gets the PR, the second waits. ``one_group``: every fix into one PR (the bot
    rebuilding one group PR).
    """
    out = Plan()
    parent: dict[int, int] = {}

    def root(key: int) -> int:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def key_of(c: Candidate) -> tuple[str, ...]:
        mode, f = grouping(c.recipe), c.finding
        if one_group:
            return (c.recipe.id,)
        if mode == "function":
            return (c.recipe.id, f.path, unit_of(f))
        if mode == "file":
            return (c.recipe.id, f.path)
        if mode == "rule":
            return (c.recipe.id, f.rule)
        if mode == "recipe":
            return (c.recipe.id,)
        return (c.recipe.id, f.fingerprint)

    taken: list[Candidate] = []
    by_key: dict[tuple[str, ...], int] = {}
    for c in candidates:
        spans = c.footprint.spans
        claimed = next((cl for cl in claims if neighbours(spans, cl.spans)), None)
        if claimed is not None:
            out.waiting[c.key] = _waits(f"a fix {claimed.where}")
            continue
        near = [t for t in taken if neighbours(spans, t.footprint.spans)]
        other = next((t for t in near if t.recipe.id != c.recipe.id), None)
        if other is not None:
            where = f"{other.finding.path}:{other.finding.start_line} ({other.recipe.id})"
            out.waiting[c.key] = _waits(f"tonight's fix at {where}")
            continue
        parent[c.key] = c.key
        taken.append(c)
        joins = [t.key for t in near]
        if key_of(c) in by_key:
            joins.append(by_key[key_of(c)])
        for key in joins:
            parent[root(key)] = root(c.key)
        by_key.setdefault(key_of(c), c.key)
    members: dict[int, list[Candidate]] = {}
    for c in taken:
        members.setdefault(root(c.key), []).append(c)
    for group in sorted(members.values(), key=lambda g: g[0].key):
        group.sort(key=lambda c: (c.finding.path, c.finding.start_line, c.key))
        first = group[0]
        units = {(c.finding.path, unit_of(c.finding)) for c in group}
        mode = "finding" if one_group and len(group) == 1 else grouping(first.recipe)
        unit = units.pop()[1] if len(units) == 1 else MODULE  # whatever made the group
        out.groups.append(Group(first.recipe, mode, tuple(group), unit))
    return out


def _waits(what: str) -> str:
    return (
        f"not published: it changes lines next to {what}, and the two PRs would conflict; "
        "a later night proposes it once that one is merged or closed"
    )


def branch_name(group: Group) -> str:
    """`nightcrew/<recipe>/<what>-<n>-fixes-<hash8>`: the same fixes, the same branch."""
    first = group.members[0].finding
    stem = first.path.rsplit("/", 1)[-1].removesuffix(".py")
    what = {
        "function": f"{stem}-{group.unit.replace('.', '-')}",
        "file": first.path.removesuffix(".py"),
        "rule": first.rule_code,
        "recipe": "all",
    }.get(group.grouping, f"{first.rule_code}-{stem}")
    digest = hashlib.sha256(",".join(sorted(group.fingerprints)).encode()).hexdigest()[:8]
    return f"nightcrew/{group.recipe.id}/{slugify(what, 30)}-{len(group.members)}-fixes-{digest}"


def title(group: Group) -> str:
    """``<recipe title>: <n> fixes in <where>``; where names the function and file, or the rule."""
    paths = list(dict.fromkeys(c.finding.path for c in group.members))
    rules = list(dict.fromkeys(c.finding.rule for c in group.members))
    if len(paths) != 1:
        place = f"in {len(paths)} files"
    elif group.unit != MODULE:
        place = f"in {function_field(group.unit)} ({paths[0]})"
    else:
        place = f"in {paths[0]}"
    if group.grouping == "rule" and len(rules) == 1:
        where = f"of {rules[0]}" + (f" {place}" if len(paths) == 1 else "")
    else:
        where = place
    return f"{group.recipe.title}: {len(group.members)} fixes {where}"


def merge_texts(base: str, ours: str, theirs: str) -> str | None:
    """``theirs``' change of ``base`` made on top of ``ours`` (line by line), or None when
    the two changes overlap.

    Unlike git's merge, changes to adjacent lines do not conflict here: each fix of a group
    was made alone on the base, and two fixes of neighbouring lines go into one PR one
    commit after the other. Two insertions at one place, or a change inside the other's
    lines, do conflict: the order would be a guess.
    """
    lines = split_lines(base)

    def regions(text: str) -> list[tuple[int, int, list[str]]]:
        matcher = difflib.SequenceMatcher(None, lines, split_lines(text), autojunk=False)
        new = split_lines(text)
        return [(i1, i2, new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
                if tag != "equal"]  # fmt: skip

    mine, yours = regions(ours), regions(theirs)
    for a0, a1, _ in mine:
        for b0, b1, _ in yours:
            if (a0 < b1 and b0 < a1) or (a0 == b0 and (a0 == a1 or b0 == b1)):
                return None  # overlapping lines, or an insertion where the other changes
            if a0 < b0 < a1 or b0 < a0 < b1:
                return None
    merged = list(lines)
    for start, end, new in sorted(mine + yours, key=lambda r: (r[0], r[1]), reverse=True):
        merged[start:end] = new
    return "".join(merged)
