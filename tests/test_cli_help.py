"""`--help` of each subcommand says what it does, its exit statuses and how to call it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.cli import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, main
from tests.conftest import ROOT


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_run_help_has_a_description_exit_codes_and_examples(capsys):
    text = help_of(capsys, "run")
    assert "Run one night on a local git repository" in text
    assert "exit status:" in text
    for code, meaning in [
        (EXIT_OK, "the night completed"),
        (EXIT_BAD_INPUT, "bad input"),
        (EXIT_INTERNAL, "internal error"),
        (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    ]:
        assert re.search(rf"^  {code} +{re.escape(meaning)}", text, re.MULTILINE), code
    assert "examples:" in text
    assert "\n  nightcrew run --repo ../project --all --max-fixes 3\n" in text  # breaks kept
    assert "--max-fixes N" in text and "--out DIR" in text and "--config FILE" in text


def test_interrupted_is_130_as_shells_report_sigint():
    import signal

    assert EXIT_INTERRUPTED == 128 + signal.SIGINT


@pytest.mark.parametrize(
    ("command", "wanted"),
    [
        pytest.param(
            ("plan",), ["GitHub Actions matrix", "Exit status", "GITHUB_OUTPUT"], id="plan"
        ),
        pytest.param(
            ("merge-reports",),
            ["Merge the report.json files", "REPORT.json the shards' reports", "Exit status"],
            id="merge-reports",
        ),
        pytest.param(
            ("recipes", "validate"),
            ["RECIPE.yml recipe files or folders", "Exit status: 0 when every file is valid"],
            id="recipes-validate",
        ),
        pytest.param(
            ("recipes", "test"),
            ["RECIPE.yml recipe files or folders", "1 when one fails", "examples:"],
            id="recipes-test",
        ),
    ],
)
def test_other_subcommands_say_what_they_do(capsys, command, wanted):
    text = " ".join(help_of(capsys, *command).split())  # argparse's column widths vary
    for piece in wanted:
        assert piece in text, piece


def test_validate_shows_no_bare_paths_placeholder(capsys):
    text = help_of(capsys, "recipes", "validate")
    assert "[RECIPE.yml ...]" in text
    assert "paths" not in text


def test_help_lines_fit_a_terminal(capsys):
    for command in [("run",), ("plan",), ("merge-reports",), ("recipes", "validate")]:
        long = [line for line in help_of(capsys, *command).splitlines() if len(line) > 100]
        assert long == [], command


def test_help_from_the_installed_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "130  interrupted" in done.stdout
