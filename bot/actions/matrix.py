"""Beyond one runner: `nightcrew plan` (a GitHub Actions matrix) and `nightcrew merge-reports`.

GitHub Actions is the distributed engine: `plan` lists tonight's due recipes times shards as a
matrix, each matrix job runs one shard (`nightcrew run --shard I/N`, or the action with
`shard:`), and a last job merges their JSON reports.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot import gitops
from bot.config import check_enabled, load_config
from bot.errors import UserError
from bot.night import select_recipes
from bot.recipes.loader import discover
from bot.report.document import read_json, write_atomic
from bot.report.merge import merge_reports
from bot.report.summary import job_summary


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


def cmd_merge_reports(args: argparse.Namespace) -> int:
    """Write the merged JSON to OUT and print its Markdown summary (for $GITHUB_STEP_SUMMARY)."""
    merged = merge_reports([read_json(Path(p)) for p in args.reports])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, json.dumps(merged, indent=2) + "\n")
    print(job_summary(merged, title=f"Nightcrew: {len(args.reports)} shard report(s) merged"))
    return 0
