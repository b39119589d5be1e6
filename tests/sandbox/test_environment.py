from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.sandbox import environment
from bot.sandbox.environment import is_secret, scrub_env, secret_names, source_roots

SECRETS = [
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ANTHROPIC_API_KEY",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "MY_KEY",
    "GH_PAT",
    "PYPI_PASSWORD",
    "DB_PASSWD",
    "MYSQL_PWD",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "OPENAI_APIKEY",
    "my_api_key",
    "SIGNING_PRIVATE_KEY",
    "SSH_AUTH_SOCK",
    "DOCKER_AUTH_CONFIG",
    "SENTRY_DSN",
    "INPUT_GITHUB-TOKEN",
    "INPUT_ANYTHING",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_KEY_0",
    "GIT_CONFIG_VALUE_0",
    "TWINE_PASS",
]

HARMLESS = [
    "PATH",
    "HOME",
    "PWD",
    "OLDPWD",
    "PYTHONPATH",
    "KEYBOARD_LAYOUT",
    "MONKEY_BUSINESS",
    "LANG",
    "GITHUB_REPOSITORY",
    "GITHUB_WORKSPACE",
    "CI",
    "SSH_ASKPASS",
    "PATHEXT",
    "AUTHOR_NAME",
    "GIT_CONFIG_GLOBAL",
]


@pytest.mark.parametrize("name", SECRETS, ids=SECRETS)
def test_secret_names_are_dropped(name):
    assert is_secret(name, "x")
    assert scrub_env({name: "x", "PATH": "/bin"}) == {"PATH": "/bin"}


@pytest.mark.parametrize("name", HARMLESS, ids=HARMLESS)
def test_harmless_names_are_kept(name):
    assert not is_secret(name, "x")
    assert scrub_env({name: "x"}) == {name: "x"}


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        pytest.param("http://user:hunter2@proxy:3128", True, id="proxy-with-password"),
        pytest.param("postgres://app:pw@db/app", True, id="database-url"),
        pytest.param("https://proxy.example:3128", False, id="proxy-without-password"),
        pytest.param("http://user@host/", False, id="user-only"),
        pytest.param("/usr/bin:/bin", False, id="plain-path"),
    ],
)
def test_urls_with_passwords_are_dropped(value, secret):
    assert is_secret("SOME_URL", value) is secret


def test_secret_names_lists_names_never_values():
    env = {"GITHUB_TOKEN": "ghs_abc", "PATH": "/bin", "MY_KEY": "k", "B_TOKEN": "t"}
    names = secret_names(env)
    assert names == ["B_TOKEN", "GITHUB_TOKEN", "MY_KEY"]
    assert "ghs_abc" not in names


def test_source_roots_flat_layout(tmp_path):
    assert source_roots(tmp_path) == [tmp_path]


def test_source_roots_src_layout_puts_src_first(tmp_path):
    (tmp_path / "src").mkdir()
    assert source_roots(tmp_path) == [tmp_path / "src", tmp_path]


def test_test_env(tmp_path):
    (tmp_path / "src").mkdir()
    python = "/opt/venv/bin/python"
    base = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": "/elsewhere",
        "GITHUB_TOKEN": "ghs_x",
        "HOME": "/home/u",
    }
    env = environment.test_env(base, tmp_path, python)
    assert env["PYTHONPATH"].split(os.pathsep) == [
        str(tmp_path / "src"),
        str(tmp_path),
        "/elsewhere",
    ]
    assert env["PATH"].split(os.pathsep) == ["/opt/venv/bin", "/usr/bin", "/bin"]
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["NIGHTCREW"] == "1"
    assert env["HOME"] == "/home/u"
    assert "GITHUB_TOKEN" not in env
    assert base["GITHUB_TOKEN"] == "ghs_x"  # the input is not modified


def test_test_env_is_idempotent(tmp_path):
    once = environment.test_env({"PATH": "/bin"}, tmp_path, "/v/bin/python")
    twice = environment.test_env(once, tmp_path, "/v/bin/python")
    assert twice == once


def test_test_env_makes_relative_worktree_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = environment.test_env({}, Path("."), "/v/bin/python")
    assert env["PYTHONPATH"] == str(tmp_path)
    assert env["PATH"] == "/v/bin"


# --- redaction: no secret value verbatim in output, whatever printed it ----------------------


def test_secret_values_names_each_secret_value_and_skips_plain_inputs():
    env = {
        "GITHUB_TOKEN": "ghs_0123456789abcdef",
        "INPUT_GITHUB-TOKEN": "ghs_0123456789abcdef",
        "INPUT_ANTHROPIC-API-KEY": "sk-ant-api03-abcdefgh",
        "INPUT_RECIPES": "unnecessary-copies",  # an input, but its name says nothing secret
        "INPUT_DRAFT": "true",
        "DEPLOY_TOKEN": "short",  # too short to redact without mangling output
        "HOME": "/home/runner-abcdefgh",
        "PWD": "/home/runner/work/project",
    }
    found = environment.secret_values(env)
    assert found == {
        "ghs_0123456789abcdef": "GITHUB_TOKEN",
        "sk-ant-api03-abcdefgh": "INPUT_ANTHROPIC-API-KEY",
    }


def test_redact_replaces_every_occurrence_longest_first():
    secrets = {"abcdefgh": "SHORT_TOKEN", "abcdefgh-longer": "LONG_TOKEN"}
    text = "a abcdefgh-longer b abcdefgh c abcdefgh"
    assert environment.redact(text, secrets) == (
        "a [redacted LONG_TOKEN] b [redacted SHORT_TOKEN] c [redacted SHORT_TOKEN]"
    )
    assert environment.redact("nothing here", secrets) == "nothing here"


def test_redact_env_reads_the_given_environment():
    env = {"MY_API_KEY": "key-1234567890"}
    assert environment.redact_env("got key-1234567890!", env) == "got [redacted MY_API_KEY]!"
    assert environment.redact_env("got key-1234567890!", {}) == "got key-1234567890!"
