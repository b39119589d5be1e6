"""Branch names, commit messages and PR titles built from a finding (pure)."""

from __future__ import annotations

import re
import string
from collections.abc import Collection
from typing import Any

from bot.model import Finding
from bot.publish.trailers import Trailer, fits
from bot.recipes.explanations import explanation
from bot.recipes.model import Recipe
from bot.report.results import CoveredBy

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, limit: int = 40) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-") or "fix"


def branch_name(recipe: Recipe, finding: Finding) -> str:
    """`nightcrew/<recipe>/<slug>-<fingerprint8>`: stable across nights for one finding."""
    stem = finding.path.rsplit("/", 1)[-1].removesuffix(".py")
    slug = slugify(f"{finding.rule_code}-{stem}")
    return f"nightcrew/{recipe.id}/{slug}-{finding.short_fingerprint}"


class _Fields(dict[str, Any]):
    """Template fields; an unknown ``{name}`` stays as written instead of failing the night."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


MODULE = "<module>"  # the unit of code outside any def or class (verify.footprint.function_at)
MODULE_LEVEL = "module-level code"  # what ``{function}`` says for it


def function_field(unit: str) -> str:
    """``{function}``: the def or class around a finding in backticks, or module-level code."""
    return MODULE_LEVEL if unit == MODULE else f"`{unit}`"


def template_fields(recipe: Recipe, finding: Finding, unit: str = MODULE) -> dict[str, Any]:
    """What a recipe's ``pr.title`` may name; ``unit`` is the def or class around the finding."""
    return _Fields(
        recipe=recipe.id,
        recipe_title=recipe.title,
        recipe_version=recipe.version,
        rule=finding.rule_code,
        message=finding.message,
        path=finding.path,
        function=function_field(unit),
        line=finding.start_line,
        fingerprint=finding.short_fingerprint,
    )


def render(template: str, fields: dict[str, Any]) -> str:
    try:
        return string.Formatter().vformat(template, (), fields)
    except (ValueError, IndexError, AttributeError, KeyError):
        return template  # a malformed template is shown as written, not a crash


TITLE_LENGTH = 120  # a commit subject's; GitHub would take 256 (pr_text.TITLE_LIMIT)


def title(recipe: Recipe, finding: Finding, unit: str = MODULE) -> str:
    """The recipe's ``pr.title`` for the finding: its first line, cut with "…" when long."""
    text = render(recipe.pr.title, template_fields(recipe, finding, unit)).strip()
    text = text.splitlines()[0] if text else f"{recipe.title} in {finding.path}"
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1] + "…"


def distinct_title(text: str, taken: Collection[str], line: int) -> str:
    """``text``, or, when another PR of the night has it, ``text (line N)``, then ``#2``, ..."""
    if text not in taken:
        return text
    candidate, n = f"{text} (line {line})", 1
    while candidate in taken:
        n += 1
        candidate = f"{text} (line {line}, #{n})"
    return candidate


def why(recipe: Recipe, finding: Finding) -> str:
    """Why the change is worth it: the rule's explanation, else the recipe's first paragraph."""
    said = explanation(finding.rule)
    if said:
        return said
    return " ".join(recipe.description.strip().split("\n\n", 1)[0].split()) or recipe.title


def commit_message(
    recipe: Recipe,
    finding: Finding,
    evidence: list[str],
    covered: CoveredBy | None = None,
    unit: str = MODULE,
) -> str:
    """Subject, the why, the evidence, and trailers later nights and the bot read back."""
    body = [
        title(recipe, finding, unit),
        "",
        f"{finding.message} ({finding.rule}) at {finding.path}:{finding.start_line}.",
    ]
    if finding.fix_title:
        body.append(f"Change: {finding.fix_title}.")
    body += ["", why(recipe, finding), "", "Verified by Nightcrew:"]
    body += [f"- {line}" for line in evidence]
    body += [
        "",
        Trailer.RECIPE.line(f"{recipe.id}@{recipe.version}"),
        Trailer.RULE.line(finding.rule),
    ]
    if fits(finding.path):
        body.append(Trailer.PATH.line(finding.path))  # a shard tells its own branches by it
    body.append(Trailer.FINGERPRINT.line(finding.fingerprint))
    if covered is not None:
        body.append(Trailer.COVERED_BY.line(covered.trailer))
    return "\n".join(body) + "\n"
