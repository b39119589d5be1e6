"""Branch names, commit messages and PR titles built from a finding (pure)."""

from __future__ import annotations

import re
import string
from typing import Any

from bot.model import Finding
from bot.publish.trailers import Trailer, fits
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


def template_fields(recipe: Recipe, finding: Finding) -> dict[str, Any]:
    return _Fields(
        recipe=recipe.id,
        recipe_title=recipe.title,
        recipe_version=recipe.version,
        rule=finding.rule_code,
        message=finding.message,
        path=finding.path,
        line=finding.start_line,
        fingerprint=finding.short_fingerprint,
    )


def render(template: str, fields: dict[str, Any]) -> str:
    try:
        return string.Formatter().vformat(template, (), fields)
    except (ValueError, IndexError, AttributeError, KeyError):
        return template  # a malformed template is shown as written, not a crash


def title(recipe: Recipe, finding: Finding) -> str:
    text = render(recipe.pr.title, template_fields(recipe, finding)).strip()
    return text.splitlines()[0][:100] if text else f"{recipe.title} in {finding.path}"


def commit_message(
    recipe: Recipe, finding: Finding, evidence: list[str], covered: CoveredBy | None = None
) -> str:
    """Subject, the why, the evidence, and trailers later nights and the bot read back."""
    why = recipe.description.strip().split("\n\n", 1)[0].replace("\n", " ")
    body = [
        title(recipe, finding),
        "",
        f"{finding.message} ({finding.rule}) at {finding.path}:{finding.start_line}.",
    ]
    if finding.fix_title:
        body.append(f"Change: {finding.fix_title}.")
    body += ["", why, "", "Verified by Nightcrew:"]
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
