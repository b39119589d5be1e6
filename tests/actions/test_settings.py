"""bot.actions.settings: the action's inputs and GitHub's variables, read and validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.actions import settings
from bot.errors import UserError

TOKEN = "ghs_unitTestToken0000"


def env(**values: str) -> dict[str, str]:
    return {"GITHUB_EVENT_NAME": "schedule", **values}


def test_defaults_outside_actions():
    s = settings.settings_from_env({})
    assert s.api_url == "https://api.github.com"
    assert s.workspace == Path(".")
    assert (s.dry_run, s.max_prs, s.recipes, s.shard, s.config) == (False, None, (), None, None)
    assert s.in_actions is False
    assert s.step_summary is None and s.output is None


def test_reads_github_variables(tmp_path):
    s = settings.settings_from_env(
        env(
            GITHUB_EVENT_PATH=str(tmp_path / "event.json"),
            GITHUB_REPOSITORY="octo-org/octo-repo",
            GITHUB_API_URL="https://ghe.example.com/api/v3/",
            GITHUB_WORKSPACE=str(tmp_path),
            GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
            GITHUB_OUTPUT=str(tmp_path / "output"),
            GITHUB_REF="refs/heads/develop",
            GITHUB_ACTIONS="true",
            RUNNER_TEMP=str(tmp_path / "tmp"),
            INPUT_CONFIG=".github/night.yml",
        )
    )
    assert s.event_name == "schedule" and s.handled
    assert s.event_path == tmp_path / "event.json"
    assert s.repository == "octo-org/octo-repo"
    assert s.api_url == "https://ghe.example.com/api/v3"  # GHES: trailing slash dropped
    assert s.step_summary == tmp_path / "summary.md"
    assert s.output == tmp_path / "output"
    assert s.branch == "develop"
    assert s.in_actions is True
    assert s.runner_temp == tmp_path / "tmp"
    assert s.config == tmp_path / ".github/night.yml"  # relative to the workspace


@pytest.mark.parametrize(
    ("ref", "branch"),
    [
        ("refs/heads/main", "main"),
        ("refs/heads/feature/x", "feature/x"),
        ("refs/tags/v1", None),
        ("refs/pull/1/merge", None),
        ("", None),
    ],
)
def test_branch_from_ref(ref, branch):
    assert settings.settings_from_env(env(GITHUB_REF=ref)).branch == branch


@pytest.mark.parametrize(
    ("event", "handled"),
    [("schedule", True), ("workflow_dispatch", True), ("push", False), ("issue_comment", False)],
)
def test_handled_events(event, handled):
    assert settings.settings_from_env(env(GITHUB_EVENT_NAME=event)).handled is handled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("unused-imports", ("unused-imports",)),
        ("a,b", ("a", "b")),
        ("a, b", ("a", "b")),
        ("a b\nc", ("a", "b", "c")),
        (" a,,b , a ", ("a", "b")),
    ],
    ids=["empty", "one", "comma", "comma-space", "space-newline", "repeats"],
)
def test_recipes_input(text, expected):
    assert settings.settings_from_env(env(INPUT_RECIPES=text)).recipes == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", False), ("true", True), ("True", True), ("TRUE", True), ("false", False),
     ("False", False), (" true ", True)],
)  # fmt: skip
def test_dry_run_input(text, expected):
    assert settings.settings_from_env(env(INPUT_DRY_RUN=text)).dry_run is expected


@pytest.mark.parametrize("text", ["yes", "1", "tru", "on"])
def test_dry_run_rejects_other_spellings(text):
    with pytest.raises(UserError, match=r"input dry-run \(INPUT_DRY_RUN\): expected true or false"):
        settings.settings_from_env(env(INPUT_DRY_RUN=text))


@pytest.mark.parametrize(("text", "expected"), [("", None), ("0", 0), ("5", 5), (" 12 ", 12)])
def test_max_prs_input(text, expected):
    assert settings.settings_from_env(env(INPUT_MAX_PRS=text)).max_prs == expected


@pytest.mark.parametrize("text", ["-1", "many", "2.5"])
def test_max_prs_rejects_non_numbers(text):
    with pytest.raises(UserError, match=r"input max-prs \(INPUT_MAX_PRS\): expected a whole"):
        settings.settings_from_env(env(INPUT_MAX_PRS=text))


def test_shard_input():
    assert settings.settings_from_env(env(INPUT_SHARD="2/4")).shard == (2, 4)
    with pytest.raises(UserError, match=r"input shard \(INPUT_SHARD\): expected I/N"):
        settings.settings_from_env(env(INPUT_SHARD="5/4"))


@pytest.mark.parametrize(
    ("variables", "run"),
    [
        ({"GITHUB_RUN_ID": "9876543210", "GITHUB_RUN_ATTEMPT": "2"}, ("9876543210", 2)),
        ({"GITHUB_RUN_ID": " 17 "}, ("17", 0)),
        ({"GITHUB_RUN_ID": "17", "GITHUB_RUN_ATTEMPT": "second"}, ("17", 0)),
        ({"GITHUB_RUN_ATTEMPT": "1"}, ("", 0)),  # an attempt of no known run
        ({}, ("", 0)),
    ],
)
def test_the_workflow_run(variables, run):
    s = settings.settings_from_env(env(**variables))
    assert (s.run_id, s.run_attempt) == run


def test_bad_repository():
    with pytest.raises(UserError, match="GITHUB_REPOSITORY: expected owner/name"):
        settings.settings_from_env(env(GITHUB_REPOSITORY="just-a-name"))


def test_token_is_read_but_never_shown():
    s = settings.settings_from_env(
        env(INPUT_GITHUB_TOKEN=TOKEN, INPUT_ANTHROPIC_API_KEY="sk-ant-unit0000")
    )
    assert s.github_token == TOKEN
    assert s.secrets() == (TOKEN, "sk-ant-unit0000")
    assert TOKEN not in repr(s) and "sk-ant-unit0000" not in repr(s)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/1", (1, 1)), ("2/4", (2, 4)), ("4/4", (4, 4)), (" 1 / 3 ", (1, 3))],
)
def test_parse_shard(text, expected):
    assert settings.parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "0/0", "1", "a/b", "-1/2", "1/2/3", ""])
def test_parse_shard_rejects(text):
    with pytest.raises(UserError) as info:
        settings.parse_shard(text)
    assert str(info.value).startswith("--shard: expected I/N with 1 ≤ I ≤ N")
