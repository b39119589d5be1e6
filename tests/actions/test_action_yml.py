"""action.yml, bot/actions/settings.py and the workflows agree: every input reaches the action."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.actions import settings
from tests.conftest import ROOT, SANDBOX_PROBLEM

ACTION = ROOT / "action.yml"
FEATHER_ICONS_USED = {"moon"}  # the Marketplace takes Feather icon names
BRAND_COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def run_step(action: dict[str, Any]) -> dict[str, Any]:
    steps = [s for s in action["runs"]["steps"] if "nightcrew action" in s.get("run", "")]
    assert len(steps) == 1, "exactly one step runs `nightcrew action`"
    return steps[0]


class RecordingEnv(Mapping[str, str]):
    """An environment that remembers which variables were read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.values.get(key, default)


def test_composite_with_branding(action):
    assert action["runs"]["using"] == "composite"
    assert action["branding"]["icon"] in FEATHER_ICONS_USED
    assert action["branding"]["color"] in BRAND_COLORS
    assert action["name"] and action["description"]


def test_declared_inputs_are_the_ones_the_settings_know(action):
    assert tuple(action["inputs"]) == settings.INPUTS


def test_every_input_reaches_nightcrew_action_as_input_env(action):
    env = run_step(action)["env"]
    expected = {
        settings.input_env_name(name): f"${{{{ inputs.{name} }}}}" for name in action["inputs"]
    }
    assert env == expected


def test_input_env_name_is_upper_case_with_underscores():
    assert settings.input_env_name("github-token") == "INPUT_GITHUB_TOKEN"
    assert settings.input_env_name("max-prs") == "INPUT_MAX_PRS"


def test_settings_read_every_declared_input_and_no_other(action):
    env = RecordingEnv({"GITHUB_EVENT_NAME": "schedule"})
    settings.settings_from_env(env)
    read_inputs = {k for k in env.read if k.startswith("INPUT_")}
    assert read_inputs == {settings.input_env_name(n) for n in action["inputs"]}


def test_inputs_are_never_interpolated_into_scripts(action):
    """`${{ inputs.x }}` inside `run:` is script injection; inputs go through env only."""
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step


def test_token_defaults_to_the_workflow_token_and_python_to_312(action):
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["python-version"]["default"] == "3.12"
    assert action["inputs"]["dry-run"]["default"] == "false"


def test_outputs_map_the_run_steps_outputs(action):
    step_id = run_step(action)["id"]
    assert tuple(action["outputs"]) == settings.OUTPUTS
    for name, spec in action["outputs"].items():
        assert spec["value"] == f"${{{{ steps.{step_id}.outputs.{name} }}}}"
        assert spec["description"]


def test_every_input_and_output_is_described(action):
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name


def test_installs_nightcrew_from_the_action_directory(action):
    runs = [s.get("run", "") for s in action["runs"]["steps"]]
    assert any("pip install" in r and '"$GITHUB_ACTION_PATH"' in r for r in runs)
    setup = [
        s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-python@")
    ]
    assert len(setup) == 1
    assert re.fullmatch(r"actions/setup-python@v\d+", setup[0]["uses"]), "pin a major version"
    assert setup[0]["with"]["python-version"] == "${{ inputs.python-version }}"


def test_sets_up_the_sandbox_on_linux_before_running_nightcrew(action):
    steps = action["runs"]["steps"]
    names = [s.get("name") for s in steps]
    setup = steps[names.index("Set up the sandbox")]
    assert setup["if"] == "runner.os == 'Linux' && inputs.sandbox-setup == 'true'"
    assert setup["run"] == 'bash "$GITHUB_ACTION_PATH/action/install-sandbox.sh"'
    assert names.index("Set up the sandbox") < steps.index(run_step(action))
    assert action["inputs"]["sandbox-setup"]["default"] == "true"


def test_the_sandbox_setup_script_never_fails_and_says_what_it_found(tmp_path):
    script = ROOT / "action" / "install-sandbox.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    done = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("nightcrew sandbox setup: ")
    # Where the machine can sandbox (as CI's can), the script says so.
    if shutil.which("bwrap") and SANDBOX_PROBLEM is None:
        assert "bubblewrap works" in done.stdout
    # No PATH with bwrap, no apt-get, no sudo: it still exits 0, saying what is missing.
    bare = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    (tmp_path / "uname").symlink_to(shutil.which("uname") or "/bin/uname")
    (tmp_path / "id").symlink_to(shutil.which("id") or "/usr/bin/id")
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(script)],
        env=bare, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "no apt-get" in done.stdout


def test_run_steps_declare_a_shell(action):
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step


WORKFLOWS = sorted(
    [
        *(ROOT / ".github" / "workflows").glob("*.yml"),
        *(ROOT / "examples" / "workflows").glob("*.yml"),
    ]
)


def steps_of(workflow: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", ())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflows_pass_only_declared_inputs(path: Path, action):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    uses = [s for s in steps_of(workflow) if _is_nightcrew(s.get("uses", ""))]
    for step in uses:
        assert set(step.get("with", {})) <= set(action["inputs"]), step


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflows_check_out_without_persisting_credentials(path: Path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    checkouts = [s for s in steps_of(workflow) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts, "every workflow checks out the repository"
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, path


def test_there_are_workflows():
    names = {str(p.relative_to(ROOT)) for p in WORKFLOWS}
    assert {
        ".github/workflows/ci.yml",
        ".github/workflows/nightcrew.yml",
        "examples/workflows/nightcrew.yml",
        "examples/workflows/nightcrew-sharded.yml",
        "examples/workflows/nightcrew-bot.yml",
    } <= names


def _is_nightcrew(uses: str) -> bool:
    return uses == "./" or uses.split("@")[0].lower().endswith("/nightcrew")


def load_workflow(relative: str) -> dict[str, Any]:
    workflow = yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return workflow


WRITE_PERMISSIONS = {"contents": "write", "pull-requests": "write", "issues": "write"}


@pytest.mark.parametrize(
    "relative", [".github/workflows/nightcrew.yml", "examples/workflows/nightcrew.yml"]
)
def test_nightly_workflows(relative):
    workflow = load_workflow(relative)
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["schedule"][0]["cron"]
    assert workflow["permissions"] == WRITE_PERMISSIONS
    uses = [s["uses"] for s in steps_of(workflow) if _is_nightcrew(s.get("uses", ""))]
    assert len(uses) == 1


def test_dogfood_runs_this_checkout():
    workflow = load_workflow(".github/workflows/nightcrew.yml")
    assert [s["uses"] for s in steps_of(workflow) if _is_nightcrew(s.get("uses", ""))] == ["./"]


def test_ci_runs_make_test_on_311_and_312():
    workflow = load_workflow(".github/workflows/ci.yml")
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12"]
    runs = [s.get("run", "") for s in job["steps"]]
    assert any(r.startswith("make test") for r in runs)
    assert workflow["permissions"] == {"contents": "read"}


def test_sharded_example_fans_out_and_merges():
    workflow = load_workflow("examples/workflows/nightcrew-sharded.yml")
    jobs = workflow["jobs"]
    assert list(jobs) == ["plan", "run", "merge"]
    assert any("nightcrew plan --shards" in s.get("run", "") for s in jobs["plan"]["steps"])
    assert jobs["run"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert jobs["run"]["permissions"] == WRITE_PERMISSIONS
    (step,) = [s for s in jobs["run"]["steps"] if _is_nightcrew(s.get("uses", ""))]
    assert step["with"]["recipes"] == "${{ matrix.recipe }}"
    assert step["with"]["shard"] == "${{ matrix.shard }}"
    assert any("nightcrew merge-reports" in s.get("run", "") for s in jobs["merge"]["steps"])
    assert workflow["permissions"] == {"contents": "read"}  # plan and merge need no writes


DOCS = ROOT / "docs" / "github.md"


def test_docs_show_the_example_workflow_verbatim():
    example = (ROOT / "examples" / "workflows" / "nightcrew.yml").read_text(encoding="utf-8")
    assert f"```yaml\n{example}```" in DOCS.read_text(encoding="utf-8")


def test_docs_table_every_input_and_output(action):
    docs = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", docs, re.MULTILINE))
    assert set(action["inputs"]) | set(action["outputs"]) <= documented


def test_docs_state_the_publishers_default_limits():
    from bot.config import RepoConfig
    from bot.publish.pulls import PublishLimits

    docs = DOCS.read_text(encoding="utf-8")
    limits = PublishLimits()
    assert (limits.max_new_prs, limits.max_open_prs) == (
        RepoConfig.max_new_prs,
        RepoConfig.max_open_prs,
    )
    assert f"`pr.max_new` from the config (default {limits.max_new_prs})" in docs
    assert f"at most `pr.max_open` (default {limits.max_open_prs}) of its PRs open" in docs


def test_the_bot_workflow_listens_to_exactly_the_events_the_bot_handles():
    from bot.review.events import EVENTS

    workflow = load_workflow("examples/workflows/nightcrew-bot.yml")
    assert set(workflow["on"]) == set(EVENTS)
    assert workflow["permissions"] == WRITE_PERMISSIONS
    steps = workflow["jobs"]["bot"]["steps"]
    assert any(_is_nightcrew(step.get("uses", "")) for step in steps)
    docs = (ROOT / "docs" / "bot.md").read_text(encoding="utf-8")
    example = (ROOT / "examples/workflows/nightcrew-bot.yml").read_text(encoding="utf-8")
    assert f"```yaml\n{example.split(chr(10), 1)[1]}```" in docs
