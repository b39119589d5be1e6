"""The `nightcrew` command line: one place where errors become exit statuses."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import __version__
from bot.errors import UserError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

_RAW = argparse.RawDescriptionHelpFormatter  # keeps the epilogs' line breaks

RUN_DESCRIPTION = """\
Run one night on a local git repository: the recipes due today (every enabled one with
--all, or those named with --recipe) find small improvements; each is fixed alone in its
own worktree, checked, verified by the repository's tests, and kept as a branch
nightcrew/<recipe>/... and a patch. Your checkout is left as it was. Results go to
--out: report.json, report.md, patches/*.patch and logs/; a night first removes the
previous night's report and patches there."""

RUN_EPILOG = """\
exit status:
  0    the night completed (even if every fix was rejected)
  2    bad input: arguments, config, a recipe, not a git repository, a --python that
       cannot run, a test command that does not exist or hangs on the base commit, a
       broken suite (it cannot import or collect, or no test passes, on the base commit)
  1    internal error (please report it)
  130  interrupted (Ctrl-C): no report is written; worktrees and test runs are
       cleaned up; branches made so far stay, and the next night skips them

examples:
  nightcrew run                                  # this repository, tonight's recipes
  nightcrew run --repo ../project --all --max-fixes 3
  nightcrew find                                 # first, what they find: no tests run
  nightcrew run --recipe unused-imports --json > report.json
  git log -p -1 nightcrew/unused-imports/...     # review a fix's branch
  git am <git dir>/nightcrew/patches/*.patch     # or apply its patch elsewhere"""

PLAN_EPILOG = """\
Prints {"include":[{"recipe":ID,"shard":"I/N"},...]} on one line; nothing due prints
{"include":[]}. Exit status: 0, or 2 for bad input.

example (a workflow step):
  echo "matrix=$(nightcrew plan --shards 4)" >> "$GITHUB_OUTPUT\""""

MERGE_EPILOG = """\
Exit status: 0, or 2 when a report is missing or not a Nightcrew report.

example:
  nightcrew merge-reports merged/report.json reports/*/report.json >> "$GITHUB_STEP_SUMMARY\""""

VALIDATE_EPILOG = """\
Prints "ok  <path>" for each good file and every error of each bad one, with its file,
line and field, and warns of scope globs that match no file of the checkout.
Exit status: 0 when every file is valid (warnings or not), 2 otherwise.

examples:
  nightcrew recipes validate                     # built-ins and .nightcrew/recipes
  nightcrew recipes validate .nightcrew/recipes/my-recipe.yml"""

TEST_EPILOG = """\
Each fixture runs in a fresh temporary folder: no git, no test suite.
Exit status: 0 when every fixture passes, 1 when one fails, 2 for bad input.

examples:
  nightcrew recipes test                         # the built-in recipes
  nightcrew recipes test .nightcrew/recipes/my-recipe.yml"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises UserError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nightcrew", description="Overnight cleanup PRs, one verified fix each.")
    parser.add_argument("--version", action="version", version=f"nightcrew {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="run one night on a local repository",
        description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG,
        formatter_class=_RAW,
    )
    run.add_argument("--repo", default=".", help="the git repository (default: .)")
    run.add_argument(
        "--recipe",
        action="append",
        default=[],
        metavar="ID",
        help="run only this recipe (repeatable); ignores schedules",
    )
    run.add_argument(
        "--all",
        action="store_true",
        dest="every",
        help="run every enabled recipe, whatever its schedule (not with --recipe)",
    )
    run.add_argument(
        "--config", metavar="FILE", help="repo config file (default: <repo>/.github/nightcrew.yml)"
    )
    run.add_argument(
        "--max-fixes", type=int, metavar="N", help="stop after this many verified fixes"
    )
    run.add_argument("--out", metavar="DIR", help="output folder (default: <git dir>/nightcrew)")
    run.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="test runs at once in separate worktrees (default: the number of cores)",
    )
    run.add_argument(
        "--fail-fast",
        action="store_true",
        help="run the tests that import a fixed module before the full suite",
    )
    run.add_argument(
        "--python",
        metavar="PATH",
        help="the Python that runs the tests (a path, a virtualenv folder or a program on "
        "PATH); default: `python:` in the config, the activated virtualenv, a .venv/ or "
        "venv/ at the repository root, else Nightcrew's own",
    )
    run.add_argument(
        "--retry-rejected",
        action="store_true",
        help="try again the fixes the tests rejected on earlier nights (see docs/verification.md)",
    )
    run.add_argument(
        "--shard",
        type=_shard,
        metavar="I/N",
        help="run shard I of N: only the files whose path hashes to it (see `nightcrew plan`)",
    )

    find = sub.add_parser(
        "find",
        help="list what the recipes find, in seconds: no test, worktree or branch",
        description="Run every enabled recipe's finders (schedules ignored) on the committed "
        "base (HEAD unless the config sets `base:`) and list the findings. Runs no test, "
        "makes no worktree, branch or change. Exit 0; 1 if a recipe could not search; "
        "2 for bad input.",
    )
    find.add_argument("--repo", default=".", help="a folder of the git checkout (default: .)")
    find.add_argument(
        "--recipe", action="append", default=[], metavar="ID", help="only this recipe (repeatable)"
    )
    find.add_argument("--config", help="repo config file (default: <repo>/.github/nightcrew.yml)")
    find.add_argument("--json", action="store_true", help="print the findings as JSON")

    sub.add_parser(
        "action",
        help="the GitHub Action's entry point: settings from INPUT_* and GITHUB_* variables",
        description="Run by action.yml. Reads the action's inputs from INPUT_<NAME> variables "
        "and GitHub's GITHUB_* variables, so it runs the same way outside Actions.",
    )

    plan = sub.add_parser(
        "plan",
        help="print tonight's recipes x shards as an Actions matrix",
        description="Print tonight's due recipes (or those named with --recipe) times N shards\n"
        "as a GitHub Actions matrix, for a sharded workflow (docs/github.md).",
        epilog=PLAN_EPILOG,
        formatter_class=_RAW,
    )
    plan.add_argument("--repo", default=".", help="the git repository (default: .)")
    plan.add_argument("--shards", type=int, default=1, metavar="N", help="shards per recipe")
    plan.add_argument(
        "--recipe",
        action="append",
        default=[],
        metavar="ID",
        help="plan only this recipe (repeatable); ignores schedules",
    )
    plan.add_argument(
        "--config", metavar="FILE", help="repo config file (default: <repo>/.github/nightcrew.yml)"
    )

    merge = sub.add_parser(
        "merge-reports",
        help="merge shards' report.json files; print the Markdown summary",
        description="Merge the report.json files of a sharded night's jobs into one (counts\n"
        "summed; findings, fixes and PRs concatenated), write it to OUT and print its\n"
        "Markdown summary on stdout.",
        epilog=MERGE_EPILOG,
        formatter_class=_RAW,
    )
    merge.add_argument("out", metavar="OUT", help="where to write the merged report.json")
    merge.add_argument(
        "reports", nargs="+", metavar="REPORT.json", help="the shards' reports (one or more)"
    )

    recipes = sub.add_parser("recipes", help="list, validate, test recipes; print their schema")
    rsub = recipes.add_subparsers(dest="recipes_command", required=True, parser_class=_Parser)
    lst = rsub.add_parser("list", help="built-in and repository recipes")
    lst.add_argument("--repo", default=".", help="also list this repository's recipes")
    lst.add_argument("--json", action="store_true", help="print the recipes as JSON")
    val = rsub.add_parser(
        "validate",
        help="check recipe files (default: every known recipe)",
        description="Check recipe files against the recipe schema and Nightcrew's own rules.",
        epilog=VALIDATE_EPILOG,
        formatter_class=_RAW,
    )
    val.add_argument(
        "paths",
        nargs="*",
        metavar="RECIPE.yml",
        help="recipe files or folders of them (default: the built-in recipes and the "
        "checkout's .nightcrew/recipes)",
    )
    val.add_argument(
        "--repo",
        help="warn of scope globs that match no file git tracks in this checkout "
        "(default: the checkout around ., if any)",
    )
    new = rsub.add_parser("new", help="write a commented recipe skeleton that validates")
    new.add_argument("id", metavar="ID", help="the recipe's id: lowercase letters, digits, dashes")
    where = new.add_mutually_exclusive_group()
    where.add_argument(
        "--repo",
        default=".",
        help="write ID.yml in this checkout's recipe folder: .nightcrew/recipes, or the "
        "config's first recipe_dirs (default: .)",
    )
    where.add_argument("--out", metavar="FILE", help="write this file instead")
    tst = rsub.add_parser(
        "test",
        help="run recipe fixtures through the real finder and fixer",
        description="Run recipes' fixtures (their `tests:` list of before/after or unchanged\n"
        "code) through the real finder and fixer.",
        epilog=TEST_EPILOG,
        formatter_class=_RAW,
    )
    tst.add_argument(
        "paths",
        nargs="*",
        metavar="RECIPE.yml",
        help="recipe files or folders of them (default: the built-in recipes)",
    )
    rsub.add_parser("schema", help="print the JSON Schema of recipe files")
    return parser


def _shard(text: str) -> tuple[int, int]:
    from bot.actions.settings import parse_shard

    return parse_shard(text, "--shard")


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "action":
        from bot.actions.main import cmd_action

        return cmd_action(args)
    if args.command == "plan":
        from bot.actions.matrix import cmd_plan

        return cmd_plan(args)
    if args.command == "merge-reports":
        from bot.actions.matrix import cmd_merge_reports

        return cmd_merge_reports(args)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "find":
        from bot.find.preview import cmd_find

        return cmd_find(args)
    if args.command == "recipes":
        if args.recipes_command == "test":
            from bot.recipes.fixtures import cmd_test

            return cmd_test(args)
        if args.recipes_command == "new":
            from bot.recipes.skeleton import cmd_new

            return cmd_new(args)
        from bot.recipes import subcommands

        return {
            "list": subcommands.cmd_list,
            "validate": subcommands.cmd_validate,
            "schema": subcommands.cmd_schema,
        }[args.recipes_command](args)
    raise AssertionError(args.command)


def cmd_run(args: argparse.Namespace) -> int:
    """`nightcrew run`: exit 0 when the night completed, whatever its fixes' fate."""
    import json
    import os
    from pathlib import Path

    from bot.night import NightOptions, run_night
    from bot.report.document import write_report
    from bot.report.live import cli_progress
    from bot.report.next_steps import next_steps

    if args.every and args.recipe:
        raise UserError(
            "runs every enabled recipe, --recipe only the ones named: pass one of them",
            field="--all",
        )
    opts = NightOptions(
        repo=Path(args.repo),
        recipe_ids=tuple(args.recipe),
        every=args.every,
        config_path=Path(args.config) if args.config else None,
        max_fixes=args.max_fixes,
        out=Path(args.out) if args.out else None,
        shard=getattr(args, "shard", None),
        jobs=getattr(args, "jobs", None),
        fail_fast=getattr(args, "fail_fast", False),
        python=_python_flag(getattr(args, "python", None)),
        retry_rejected=getattr(args, "retry_rejected", False),
        env=dict(os.environ),
        api_key=os.environ.get("ANTHROPIC_API_KEY", ""),
    )
    with cli_progress(args.quiet, os.environ) as progress:
        report = run_night(opts, progress)
    data = write_report(report)
    steps = next_steps(report, Path.cwd().resolve())
    if args.json:
        print(json.dumps(data, indent=2))
        if not args.quiet:
            print(steps, file=sys.stderr)
    else:
        out = Path(report.out_dir or ".")
        print(report.to_markdown())
        print(f"Report: {out / 'report.md'} (JSON: {out / 'report.json'})\n\n{steps}")
    return 0


def _python_flag(given: str | None) -> str | None:
    """``--python`` with a relative path made absolute here, where it was typed."""
    import os

    if not given or os.sep not in given or os.path.isabs(os.path.expanduser(given)):
        return given
    return os.path.abspath(given)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except UserError as exc:
        print(f"nightcrew: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(
            "nightcrew: interrupted: stopped before the end, so no report was written; its "
            "worktrees and test runs are cleaned up, branches made so far stay (the next "
            "night skips them)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except Exception as exc:  # the one place internal failures are reported
        import traceback

        traceback.print_exc()
        print(f"nightcrew: internal error: {exc} (please report this)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
