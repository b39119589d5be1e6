"""Benchmark the agents' prompt caching on a scripted night against the fake Messages API.

Builds a small repository with copy candidates, finds them with the built-in
``unnecessary-copies-deep`` recipe's prefilter, and lets one scripted agent per candidate
read its file, then fix it (or give up), through the real anthropic SDK talking to
``tests/fakes/messages_api.py`` (which counts tokens as JSON size / 4 and caches prefixes
of at least ``--min-cache`` tokens, as the API does). Prints, per fix: turns, HTTP requests,
uncached input tokens, cache reads and writes, the cache-read share of input, and the
estimated dollars; then the night's totals from ``AgentSession.summary()``.

    python bench/bench_agents.py [--candidates N] [--min-cache TOKENS] [--rate-limit]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.agents.session import AgentSession  # noqa: E402
from bot.config import RepoConfig  # noqa: E402
from bot.find.search import find  # noqa: E402
from bot.recipes.loader import builtin_recipes_dir, load_recipe  # noqa: E402
from tests.fakes.messages_api import (  # noqa: E402
    FakeMessagesAPI,
    Fault,
    Request,
    reply,
    text,
    tool_use,
)

MODULE = """\
def total_{n}(items):
    snapshot = list(items)
    return sum(snapshot)


def padded_{n}(items):
    out = list(items)
    out.append(0)
    return out
"""


def script(request: Request) -> dict:
    """Turn 0 reads the file; turn 1 edits (copy only read) or gives up; turn 2 finishes."""
    path = request.task.split(" in ", 1)[1].split(",", 1)[0]
    line = int(request.task.split(", line ", 1)[1].split(".", 1)[0])
    if request.turn == 0:
        return reply(text("Reading the file."), tool_use("read_file", path=path))
    if line > 4:  # the copy in padded_N is appended to: it is needed
        return reply(tool_use("give_up", reason="`out` is mutated by append; the copy is needed."))
    if request.turn == 1:
        return reply(
            tool_use(
                "edit_file",
                path=path,
                old_text="    snapshot = list(items)\n    return sum(snapshot)\n",
                new_text="    return sum(items)\n",
            )
        )
    return reply(tool_use("finish", summary="Sum the items directly; the copy was only read."))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=4, help="modules (two candidates each)")
    parser.add_argument("--min-cache", type=int, default=1024, help="smallest cacheable prefix")
    parser.add_argument("--rate-limit", action="store_true", help="answer the first request 429")
    args = parser.parse_args()

    recipe = load_recipe(builtin_recipes_dir() / "unnecessary-copies-deep.yml", builtin=True)
    with tempfile.TemporaryDirectory(prefix="nightcrew-bench-agents-") as tmp:
        tree = Path(tmp)
        (tree / "pkg").mkdir()
        files = []
        for n in range(args.candidates):
            (tree / f"pkg/mod{n}.py").write_text(MODULE.format(n=n), encoding="utf-8")
            files.append(f"pkg/mod{n}.py")
        findings = find(recipe, tree, files, isolated=True)

        limited = [Fault(429, "rate_limit_error", retry_after_ms=50)] if args.rate_limit else []
        pending = list(limited)

        def play(request: Request) -> dict | Fault:
            return pending.pop(0) if pending else script(request)

        with FakeMessagesAPI(play, min_cache_tokens=args.min_cache) as fake:
            env = {"ANTHROPIC_BASE_URL": fake.url}
            session = AgentSession.start(
                "bench-key", env, RepoConfig(), lambda phase, line: print(line)
            )
            assert session is not None
            header = (
                f"{'finding':<18} {'outcome':<9} {'turns':>5} {'reqs':>4} {'uncached':>8} "
                f"{'c.read':>7} {'c.write':>7} {'output':>6} {'read%':>6} {'dollars':>8}"
            )
            print(header)
            print("-" * len(header))
            for finding in findings:
                outcome = session.fixer().apply(recipe, finding, tree)
                c = outcome.costs
                fed = c["input_tokens"] + c["cache_read_input_tokens"]
                fed += c["cache_creation_input_tokens"]
                share = c["cache_read_input_tokens"] / fed if fed else 0.0
                print(
                    f"{finding.path + ':' + str(finding.start_line):<18} "
                    f"{getattr(outcome, 'status', '?'):<9} {c['turns']:>5} {c['requests']:>4} "
                    f"{c['input_tokens']:>8} {c['cache_read_input_tokens']:>7} "
                    f"{c['cache_creation_input_tokens']:>7} {c['output_tokens']:>6} "
                    f"{share:>6.1%} {c['dollars']:>8.4f}"
                )
            summary = session.summary()
    tokens = summary["tokens"]
    fed = tokens["input"] + tokens["cache_read"] + tokens["cache_write"]
    print("-" * len(header))
    print(
        f"night: {summary['agents']} agents, {summary['requests']} requests, "
        f"{summary['turns']} turns; input {fed} tokens of which {tokens['input']} uncached, "
        f"cache read {tokens['cache_read']} ({tokens['cache_read'] / max(fed, 1):.1%}), "
        f"written {tokens['cache_write']}; output {tokens['output']}; "
        f"${summary['dollars']:.4f} ({summary['dollars_note']}); outcomes {summary['outcomes']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
