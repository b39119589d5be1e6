"""Beyond one runner: `nightcrew plan` (a GitHub Actions matrix) and `nightcrew merge-reports`.

GitHub Actions is the distributed engine: `plan` lists tonight's due recipes times shards as a
matrix, each matrix job runs one shard (`nightcrew run --shard I/N`, or the action with
`shard:`), and a last job merges their JSON reports.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import __version__, gitops
from bot.config import check_enabled, load_config
from bot.errors import UserError
from bot.night import select_recipes
from bot.recipes.loader import discover
from bot.report.summary import job_summary

# Lists whose entries repeat across shards (every shard runs the same recipes).
_DEDUPED_LISTS = frozenset({"recipes", "recipes_skipped", "notes"})


def plan_matrix(
    repo: Path,
    shards: int = 1,
    recipe_ids: Sequence[str] = (),
    config_path: Path | None = None,
    now: datetime | None = None,
) -> dict[str, list[dict[str, str]]]:
    """``{"include": [{"recipe": id, "shard": "i/n"}, ...]}`` for the recipes due now."""
    if shards < 1:
        raise UserError(f"expected 1 or more, got {shards}", field="--shards")
    top = Path(gitops.open_repo(repo.resolve()).working_tree_dir or repo)
    config = load_config(top, config_path)
    recipes = discover(top, tuple(config.recipe_dirs))
    check_enabled(config, recipes)
    chosen, _ = select_recipes(recipes, config, recipe_ids, now or datetime.now(UTC))
    return {
        "include": [
            {"recipe": recipe.id, "shard": f"{index}/{shards}"}
            for recipe in chosen
            for index in range(1, shards + 1)
        ]
    }


def cmd_plan(args: argparse.Namespace) -> int:
    """Print the matrix on one line, ready for ``echo "matrix=..." >> "$GITHUB_OUTPUT"``."""
    matrix = plan_matrix(
        Path(args.repo),
        args.shards,
        tuple(args.recipe),
        Path(args.config) if args.config else None,
    )
    print(json.dumps(matrix, separators=(",", ":")))
    return 0


def merge_reports(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One report from the shards' reports: counts summed, findings and fixes concatenated.

    Lists are concatenated (recipes, skipped recipes and notes without repeats), numeric
    mappings (``summary``, ``timings``, ``costs``) summed, flags or-ed, and other values
    taken from the first report that has one.
    """
    merged: dict[str, Any] = {}
    for report in reports:
        for key, value in report.items():
            if key not in merged or merged[key] is None:
                merged[key] = _copy(value)
            elif isinstance(value, list) and isinstance(merged[key], list):
                merged[key].extend(
                    v for v in value if key not in _DEDUPED_LISTS or v not in merged[key]
                )
            elif isinstance(value, Mapping) and isinstance(merged[key], dict):
                for k, v in value.items():
                    if _is_number(v) and _is_number(merged[key].get(k, 0)):
                        merged[key][k] = merged[key].get(k, 0) + v
                    else:
                        merged[key].setdefault(k, v)
            elif isinstance(value, bool) and isinstance(merged[key], bool):
                merged[key] = merged[key] or value
    for key in ("repo", "base"):
        values = sorted({str(r[key]) for r in reports if r.get(key)})
        if len(values) > 1:
            merged.setdefault("notes", []).append(
                f"the reports disagree on {key}: {', '.join(values)}"
            )
    started = [r["started_at"] for r in reports if r.get("started_at")]
    merged |= {
        "nightcrew": __version__,
        "started_at": min(started) if started else None,
        "out_dir": None,
        "shards": len(reports),
    }
    return merged


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read the report: {exc.strerror}", str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"not a JSON report: {exc}", str(path)) from None
    if not isinstance(data, dict) or "fixes" not in data:
        raise UserError("not a Nightcrew report (no `fixes`)", str(path))
    return data


def cmd_merge_reports(args: argparse.Namespace) -> int:
    """Write the merged JSON to OUT and print its Markdown summary (for $GITHUB_STEP_SUMMARY)."""
    merged = merge_reports([read_report(Path(p)) for p in args.reports])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    print(job_summary(merged, title=f"Nightcrew: {len(args.reports)} shard report(s) merged"))
    return 0
