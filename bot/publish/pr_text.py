"""PR titles, bodies and comments, as Markdown. Pure.

Everything copied from the repository (messages, recipe text, commands, the diff) is
untrusted: ``@mentions`` in it get a zero-width space after the ``@`` so nobody is pinged
by a PR about their code, marker look-alikes are defused, and the diff sits in a code fence
longer than any backtick run inside it, so it cannot close the fence early. Bodies are
capped at ``BODY_LIMIT`` characters, well below GitHub's 65536: the diff is cut first, then
the evidence, then the description, and the marker is always kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from bot.dashboard import markers
from bot.publish.messages import MODULE
from bot.publish.proposal import Proposal
from bot.recipes.explanations import explanation
from bot.report.results import UNTESTED_TEXT, Step
from bot.review.commands import USAGE

BODY_LIMIT = 60_000
TITLE_LIMIT = 256  # GitHub rejects longer PR titles
ZWSP = "\u200b"

# The PR body's steering section lists exactly what the bot understands.
COMMANDS = USAGE

# A mention starts at "@" not preceded by a word character (so e-mail addresses stay intact)
# and followed by a user or team name.
_MENTION = re.compile(r"(?<![0-9A-Za-z_])@(?=[0-9A-Za-z])")
_BACKTICKS = re.compile(r"`+")
_MIN_DIFF_ROOM = 400  # below this a truncated diff says nothing useful; drop it instead


def neutralise_mentions(text: str) -> str:
    """``@name`` -> ``@\\u200bname``: reads the same, notifies nobody."""
    return _MENTION.sub("@" + ZWSP, text)


def clean(text: str) -> str:
    """Untrusted text made safe to put in a body: no mentions, no marker look-alikes."""
    return markers.defuse(neutralise_mentions(text))


def code(text: str) -> str:
    """An inline code span that holds any text, backticks included."""
    text = " ".join(text.split())
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(content: str, info: str = "") -> str:
    """A fenced code block no line of ``content`` can close early."""
    longest = max((len(m) for m in _BACKTICKS.findall(content)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"{ticks}{info}\n{body}{ticks}"


def cap(text: str, limit: int, note: str) -> str:
    """``text`` cut at a line boundary to at most ``limit`` characters, ending with ``note``."""
    if len(text) <= limit:
        return text
    room = limit - len(note) - 1
    if room <= 0:
        return note[:limit]
    cut = text[:room]
    newline = cut.rfind("\n")
    if newline > room // 2:
        cut = cut[: newline + 1]
    return cut.rstrip("\n") + "\n" + note


def title(proposal: Proposal) -> str:
    text = " ".join(clean(proposal.title).split())
    return text[: TITLE_LIMIT - 1] + "…" if len(text) > TITLE_LIMIT else text


def pull_marker(proposal: Proposal) -> markers.PullMarker:
    finding = proposal.finding
    group = proposal.fingerprints if proposal.fixes else ()
    return markers.PullMarker(
        finding.fingerprint, proposal.recipe.id, path=finding.path, fingerprints=group
    )


def pull_body(proposal: Proposal, *, limit: int = BODY_LIMIT) -> str:
    """The PR body: what and why, the evidence, the diff, the recipe, how to steer, the marker.

    A group's body lists every fix with its own evidence, where one fix's body has one.
    """
    grouped = bool(proposal.fixes)
    fixed_head = _untested(proposal) + (_group_what(proposal) if grouped else _what(proposal))
    tail_parts = (_recipe(proposal), _costs(proposal.costs), _steering(), _marker(proposal))
    fixed_tail = "\n\n".join(part for part in tail_parts if part) + "\n"
    evidence = _group_evidence if grouped else _evidence
    flexible: list[tuple[str, Callable[[int | None], str]]] = [
        ("why", lambda room: _why(proposal, room)),
        ("evidence", lambda room: evidence(proposal, room)),
        ("diff", lambda room: _diff(proposal.diff, room)),
    ]
    sections = {name: build(None) for name, build in flexible}
    joiner = "\n\n"

    def total() -> int:
        parts = [fixed_head, *[s for s in sections.values() if s], fixed_tail]
        return sum(len(p) for p in parts) + len(joiner) * (len(parts) - 1)

    for name in ("diff", "evidence", "why"):
        over = total() - limit
        if over <= 0:
            break
        build = dict(flexible)[name]
        sections[name] = build(max(0, len(sections[name]) - over))
    body = joiner.join([fixed_head, *[s for s in sections.values() if s], fixed_tail])
    if len(body) > limit:  # only with absurd recipe titles or messages: keep the marker
        body = cap(body[: -len(fixed_tail)], limit - len(fixed_tail) - 1, "…") + "\n" + fixed_tail
    return body


def _marker(proposal: Proposal) -> str:
    return pull_marker(proposal).render()


def _untested(proposal: Proposal) -> str:
    if not proposal.untested:
        return ""
    return (
        f"> [!WARNING]\n> **Untested: {UNTESTED_TEXT}.** The tests pass, but none of them runs "
        "this change, so they prove nothing about it: review it as code no test checks.\n\n"
    )


def _what(proposal: Proposal) -> str:
    f = proposal.finding
    # A file name is text from the repository too: a code span keeps mentions inert, and
    # defusing keeps a name shaped like a marker from reading as one.
    where = code(markers.defuse(f.path))
    text = f"**{clean(f.message)[:1000]}** ({code(f.rule)}) in {where}, line {f.start_line}."
    if f.fix_title:
        text += f" Change: {clean(f.fix_title)[:500]}."
    return text


def _group_what(proposal: Proposal) -> str:
    fixes = proposal.fixes
    files = len({p.finding.path for p in fixes})
    where = (
        f"in {code(markers.defuse(fixes[0].finding.path))}" if files == 1 else f"in {files} files"
    )
    if proposal.unit != MODULE:
        where = f"in {code(proposal.unit)}, " + where
    how = {
        "function": "they are in one function",
        "file": "they are in one file",
        "rule": "they fix one rule",
        "recipe": "they come from one recipe",
    }.get(proposal.grouping, "they change neighbouring lines, so two PRs would conflict")
    return (
        f"**{len(fixes)} fixes** {where}, one commit each, in one PR because {how}. "
        "Each fix was made alone and verified on its own; a fix that failed verification "
        "was left out of this PR."
    )


def _group_evidence(proposal: Proposal, room: int | None) -> str:
    heading = (
        "### The fixes and their evidence\n\n"
        f"Nightcrew made each change alone, on {code(proposal.base[:10])}, and checked it; "
        "the commits are stacked in this order:\n\n"
    )
    items = []
    for n, fix in enumerate(proposal.fixes, 1):
        ids = f"Commit {code(fix.commit[:10])}, finding {code(fix.finding.short_fingerprint)}."
        lines = [f"{n}. {_what(fix)} {ids}"]
        lines += [f"   - {clean(line)}" for line in fix.evidence]
        items.append("\n".join(lines))
    content = "\n".join(items)
    if room is None:
        return heading + content
    if room < len(heading) + 80:
        return ""
    return heading + cap(
        content, room - len(heading), "- … (evidence shortened; see each commit's message)"
    )


def explanations(
    proposal: Proposal, lookup: Callable[[str], str | None] = explanation
) -> list[tuple[tuple[str, ...], str]]:
    """Each distinct reason the change is worth it, once, with the rules it is for.

    A rule's explanation (``lookup``: ``recipes.explanations.explanation``), else the recipe's
    description; the fixes of a group that share one reason have it once.
    """
    fallback = proposal.recipe.description.strip() or proposal.recipe.title
    reasons: dict[str, list[str]] = {}
    for fix in proposal.fixes or (proposal,):
        rule = fix.finding.rule_code
        rules = reasons.setdefault(lookup(fix.finding.rule) or fallback, [])
        if rule not in rules:
            rules.append(rule)
    return [(tuple(rules), text) for text, rules in reasons.items()]


def _why(proposal: Proposal, room: int | None) -> str:
    heading = "### Why this is an improvement\n\n"
    reasons = explanations(proposal)
    if len(reasons) == 1:
        text = clean(reasons[0][1])
    else:
        text = "\n".join(
            f"- {', '.join(code(rule) for rule in rules)}: {clean(reason)}"
            for rules, reason in reasons
        )
    if proposal.summary and not proposal.fixes:
        said = "\n".join(f"> {line}" for line in clean(proposal.summary).splitlines())
        text += f"\n\nThe agent's own account of this change:\n\n{said}"
    if room is None:
        return heading + text
    if room < len(heading) + 80:
        return ""
    return heading + cap(text, room - len(heading), "… (description shortened)")


def _evidence(proposal: Proposal, room: int | None) -> str:
    heading = (
        "### Evidence\n\n"
        f"Nightcrew made this one change alone, on {code(proposal.base[:10])}, and checked it:\n\n"
    )
    table = _steps_table(proposal.steps)
    bullets = "\n".join(f"- {clean(line)}" for line in proposal.evidence)
    content = "\n\n".join(part for part in (table, bullets) if part) or "- (no checks recorded)"
    if room is None:
        return heading + content
    if room < len(heading) + 80:
        return ""
    return heading + cap(content, room - len(heading), "- … (evidence shortened)")


def _steps_table(steps: Sequence[Step]) -> str:
    if not steps:
        return ""
    rows = ["| check | result | detail | time |", "|---|---|---|---:|"]
    for step in steps:
        name = step.name if not step.command else f"{step.name}: {code(clean(step.command))}"
        duration = "" if step.duration is None else f"{step.duration:.1f} s"
        rows.append(
            f"| {_cell(name)} | {'passed' if step.ok else 'failed'} "
            f"| {_cell(clean(step.detail))} | {duration} |"
        )
    return "\n".join(rows)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())[:500]


def _diff(diff: str, room: int | None) -> str:
    if not diff.strip():
        return ""
    lines = diff.count("\n") + (0 if diff.endswith("\n") else 1)
    # The diff sits in a fence, where GitHub neither notifies nor parses; only marker
    # look-alikes need defusing, since Nightcrew itself reads the raw body.
    content = markers.defuse(diff)
    shell = (
        f"<details><summary>The change ({lines} line{'s' if lines != 1 else ''} of diff)"
        "</summary>\n\n{fenced}\n\n</details>"
    )
    full = shell.format(fenced=fence(content, "diff"))
    if room is None or len(full) <= room:
        return full
    overhead = len(shell.format(fenced=fence("", "diff"))) + 16  # a longer fence, a newline
    note = f"… diff cut to fit this page; the full change ({lines} lines) is under Files changed"
    if room - overhead < _MIN_DIFF_ROOM:
        return ""
    return shell.format(fenced=fence(cap(content, room - overhead, note), "diff"))


def _recipe(proposal: Proposal) -> str:
    r, f = proposal.recipe, proposal.finding
    if proposal.fixes:
        rules = ", ".join(
            code(rule) for rule in dict.fromkeys(p.finding.rule for p in proposal.fixes)
        )
        found = f"Rules {rules}; {len(proposal.fixes)} findings"
    else:
        found = f"Rule {code(f.rule)}; finding {code(f.short_fingerprint)}"
    return (
        "### Recipe\n\n"
        f"{code(r.id)} version {r.version}: {clean(r.title)}. "
        f"{found}; branch {code(proposal.branch)}."
    )


def _costs(costs: Mapping[str, float]) -> str | None:
    if not costs:
        return None
    parts = []
    for key, value in costs.items():
        label = key.replace("_", " ")
        if "dollar" in key or "usd" in key:
            parts.append(f"{label}: ${value:.4f}")
        elif float(value).is_integer():
            parts.append(f"{label}: {int(value):,}")
        else:
            parts.append(f"{label}: {value:.2f}")
    return "### Cost\n\n" + "; ".join(parts) + "."


def _steering() -> str:
    lines = [
        "### Steering Nightcrew",
        "",
        "These are the commands; comment one on this PR "
        "(only people with write access can steer Nightcrew):",
        "",
    ]
    lines += [f"- `/nightcrew {name}`: {what}" for name, what in COMMANDS]
    lines += [
        "",
        "Nightcrew never pushes over commits made by people: push to this branch and "
        "the PR is yours.",
    ]
    return "\n".join(lines)


def comment_body(text: str, *, notice: str | None = None, limit: int = BODY_LIMIT) -> str:
    """A comment: mentions neutralised, capped, with an optional notice marker kept last."""
    tail = f"\n\n{notice}\n" if notice else ""
    return cap(clean(text), limit - len(tail), "… (shortened)") + tail


def human_push_comment(branch: str, fingerprint: str) -> str:
    text = (
        f"Someone other than Nightcrew has pushed to {code(branch)}, so Nightcrew leaves "
        "this PR alone from now on: it will not rebuild it, force-push to it or close it. "
        "It is yours to finish, merge or close."
    )
    return comment_body(text, notice=markers.notice("human-push", fingerprint))


def rebuilt_comment(proposal: Proposal, base_branch: str) -> str:
    lines = [
        f"Rebuilt on {code(base_branch)} at {code(proposal.base[:10])} and verified again:",
        "",
        *[f"- {line}" for line in proposal.evidence],
    ]
    note = markers.notice("rebuilt", proposal.finding.fingerprint, base=proposal.base)
    return comment_body("\n".join(lines), notice=note)


def gone_comment(fingerprint: str, base_branch: str, base_sha: str, recipe: str) -> str:
    text = (
        f"Recipe {code(recipe)} no longer finds this on {code(base_branch)} at "
        f"{code(base_sha[:10])}: the code changed (fixed another way, or removed). "
        "Closing this PR and deleting its branch; there is nothing left to do here."
    )
    return comment_body(text, notice=markers.notice("gone", fingerprint))
