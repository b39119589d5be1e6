"""bot.actions.payload: the webhook payload, read once for the night and the review bot alike."""

from __future__ import annotations

import os

import pytest

from bot.actions.payload import load_event
from bot.cli import main
from bot.errors import UserError
from tests.conftest import ROOT

WEBHOOKS = ROOT / "tests" / "fixtures" / "webhooks"


def test_reads_the_real_payload():
    event = load_event(WEBHOOKS / "workflow_dispatch.payload.json")
    assert event["repository"]["default_branch"] == "master"


def test_unset_is_bad_input():
    with pytest.raises(UserError, match="GITHUB_EVENT_PATH: not set"):
        load_event(None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the event payload {path}: No such file or directory"),
        (b"{not json", "the event payload {path} is not JSON: Expecting property name"),
        (b"\xff\xfe{}", "the event payload {path} is not JSON: 'utf-8' codec can't decode"),
        (b"[1, 2]", "the event payload {path} is not a JSON object"),
    ],
    ids=["missing", "not-json", "not-utf-8", "not-an-object"],
)
def test_a_bad_file_is_bad_input_naming_it(tmp_path, content, message):
    path = tmp_path / "event.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError) as info:
        load_event(path)
    assert info.value.field == "GITHUB_EVENT_PATH"
    assert info.value.message.startswith(message.format(path=path))


@pytest.mark.parametrize("event_name", ["workflow_dispatch", "schedule", "issue_comment"])
def test_the_night_and_the_review_bot_say_the_same(tmp_path, monkeypatch, capsys, event_name):
    """Whichever event it is, a malformed payload is exit 2 and one line naming the file."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "INPUT_", "RUNNER_")):
            monkeypatch.delenv(name)
    path = tmp_path / "event.json"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_NAME", event_name)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", "ghs_eventTestToken0000")
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo-org/octo-repo")
    assert main(["action"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(
        f"nightcrew: error: GITHUB_EVENT_PATH: the event payload {path} is not JSON"
    )
