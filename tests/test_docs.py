"""The docs say what the code does: their YAML parses, their workflows name the action as the
setup says (a fork or copy at a full commit SHA, until a release exists), and every config
or recipe key they name is in the schema."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import load_config
from tests.conftest import ROOT

DOCS = sorted([ROOT / "README.md", ROOT / "action" / "README.md", *(ROOT / "docs").glob("*.md")])
WORKFLOW_FILES = sorted(
    [
        *(ROOT / "examples" / "workflows").glob("*.yml"),
        *(ROOT / ".github" / "workflows").glob("*.yml"),
    ]
)
CONFIG_SCHEMA = json.loads((ROOT / "bot" / "config.schema.json").read_text(encoding="utf-8"))
RECIPE_SCHEMA = json.loads((ROOT / "bot" / "recipes" / "schema.json").read_text(encoding="utf-8"))
# How the docs tell a maintainer to write the action until Nightcrew publishes a release.
PINNED = "<owner>/nightcrew@<40-hex-sha>"
PINNED_PIP = "nightcrew @ git+https://github.com/<owner>/nightcrew@<40-hex-sha>"


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def yaml_blocks() -> Iterator[tuple[str, str]]:
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for n, match in enumerate(re.finditer(r"^```ya?ml\n(.*?)^```", text, re.S | re.M)):
            yield f"{rel(path)}#{n + 1}", match.group(1)


BLOCKS = list(yaml_blocks())


def test_the_docs_have_yaml_examples():
    assert {name.split("#")[0] for name, _ in BLOCKS} >= {
        "README.md",
        "docs/github.md",
        "docs/bot.md",
        "action/README.md",
    }


@pytest.mark.parametrize(("name", "text"), BLOCKS, ids=[n for n, _ in BLOCKS])
def test_every_yaml_block_in_the_docs_parses(name, text):
    yaml.safe_load(text)


# --------------------------------------------------------------------------- workflows


def doc_workflows() -> Iterator[tuple[str, Any]]:
    """The docs' workflows (with ``jobs:``) and lists of workflow steps, parsed."""
    for name, text in BLOCKS:
        data = yaml.safe_load(text)
        if isinstance(data, dict) and "jobs" in data:
            yield name, data
        elif (
            isinstance(data, list)
            and all(isinstance(s, dict) for s in data)
            and any("uses" in s or "run" in s for s in data)
        ):
            yield name, {"jobs": {"steps-only": {"steps": data}}}


WORKFLOWS = [
    *doc_workflows(),
    *((rel(p), yaml.safe_load(p.read_text(encoding="utf-8"))) for p in WORKFLOW_FILES),
]


def nightcrew_steps(workflow: Any) -> list[dict[str, Any]]:
    return [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", ())
        if step.get("uses") == "./" or step.get("uses", "").split("@")[0].endswith("/nightcrew")
    ]


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=[n for n, _ in WORKFLOWS])
def test_workflows_name_the_action_as_the_setup_says(name, workflow):
    uses = [step["uses"] for step in nightcrew_steps(workflow)]
    if name.startswith(".github/"):  # this repository's own workflows run its checkout
        assert set(uses) <= {"./"}, uses
    else:
        assert uses and set(uses) == {PINNED}, uses
    for text in strings(workflow):
        assert not re.search(r"nightcrew@v\d", text), text  # no release exists to point at
        assert "github.com/nightcrew/nightcrew" not in text, text  # published by nobody
        if "git+" in text and "nightcrew" in text:
            assert text.strip() == PINNED_PIP, text  # the same fork or copy and commit


def test_a_pip_installed_nightcrew_matches_the_pinned_action():
    sharded = yaml.safe_load(
        (ROOT / "examples" / "workflows" / "nightcrew-sharded.yml").read_text(encoding="utf-8")
    )
    assert sharded["env"]["NIGHTCREW"] == PINNED_PIP
    runs = [s.get("run", "") for job in sharded["jobs"].values() for s in job.get("steps", ())]
    assert sum('pip install --quiet "$NIGHTCREW"' in r for r in runs) == 2  # plan and merge
    owner_sha = PINNED_PIP.split("github.com/", 1)[1]
    assert owner_sha == PINNED  # `uses:` and pip name one repository at one commit


def setup_section() -> str:
    text = (ROOT / "docs" / "github.md").read_text(encoding="utf-8")
    return text.split("\n## Setup", 1)[1].split("\n## ", 1)[0]


def test_the_setup_takes_a_maintainer_through_the_repository_settings():
    setup = setup_section()
    for step in [
        f"`uses: {PINNED}`",
        "Fork this repository",
        "Actions permissions",
        "Workflow permissions",
        "Allow GitHub Actions to create and approve pull requests",
        "NIGHTCREW_APP_ID",
        "NIGHTCREW_APP_PRIVATE_KEY",
        "ANTHROPIC_API_KEY",
        "Run workflow",
        "schedule",
    ]:
        assert step in setup, step


def test_the_docs_say_how_the_action_installs_itself():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    runs = [s.get("run", "") for s in action["runs"]["steps"]]
    assert any(
        'pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in r for r in runs
    )
    assert 'pip install "$GITHUB_ACTION_PATH"' in setup_section()


# --------------------------------------------------------------------------- config keys


def resolve(schema: dict[str, Any], path: list[str]) -> bool:
    """Whether ``a.b.c`` is a property path of ``schema`` (through $ref and array items)."""
    node = schema
    for part in path:
        while True:
            if "$ref" in node:
                node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
            elif node.get("type") == "array" and "items" in node:
                node = node["items"]
            else:
                break
        if part not in node.get("properties", {}):
            return False
        node = node["properties"][part]
    return True


def named_keys() -> Iterator[tuple[str, str]]:
    """Dotted keys in backticks (`limits.test_timeout`) whose first part is a schema's key."""
    tops = set(CONFIG_SCHEMA["properties"]) | set(RECIPE_SCHEMA["properties"])
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for key in re.findall(r"`([a-z_]+(?:\.[a-z_]+(?:\[\d+\])?)+)(?:: [^`]*)?`", text):
            parts = re.sub(r"\[\d+\]", "", key).split(".")
            module = ROOT.joinpath(*parts[:2])
            if parts[0] == "bot" and (module.is_dir() or module.with_suffix(".py").is_file()):
                continue  # a module path (bot.verify.runs), not the config's `bot:`
            if parts[0] in tops:
                yield rel(path), key


NAMED = sorted(set(named_keys()))


def test_the_docs_name_config_keys():
    assert ("docs/bot.md", "bot.allow_bots") in NAMED
    assert ("docs/verification.md", "limits.test_timeout") in NAMED


@pytest.mark.parametrize(("doc", "key"), NAMED, ids=[f"{d}:{k}" for d, k in NAMED])
def test_every_key_the_docs_name_is_in_a_schema(doc, key):
    path = re.sub(r"\[\d+\]", "", key).split(".")
    assert resolve(CONFIG_SCHEMA, path) or resolve(RECIPE_SCHEMA, path), f"{doc}: `{key}`"


def config_blocks() -> list[tuple[str, dict[str, Any]]]:
    """The docs' YAML blocks that are (parts of) .github/nightcrew.yml."""
    found = []
    for name, text in BLOCKS:
        data = yaml.safe_load(text)
        if not isinstance(data, dict) or "jobs" in data or "schema_version" in data:
            continue
        if set(data) <= set(RECIPE_SCHEMA["properties"]) - {"version"}:
            continue  # a recipe's part (find:, fix:, budget:)
        found.append((name, data))
    return found


CONFIGS = config_blocks()


def test_the_readme_config_is_among_them():
    assert any(name.startswith("README.md") and "version" in data for name, data in CONFIGS)


@pytest.mark.parametrize(("name", "data"), CONFIGS, ids=[n for n, _ in CONFIGS])
def test_every_config_in_the_docs_is_valid(name, data, tmp_path):
    config = tmp_path / ".github" / "nightcrew.yml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"version": 1, **data}), encoding="utf-8")
    load_config(tmp_path)  # a UserError names the key, line and what is wrong


@pytest.mark.parametrize(
    "schema", [CONFIG_SCHEMA, RECIPE_SCHEMA], ids=["config.schema.json", "recipes/schema.json"]
)
def test_no_schema_calls_a_test_command_a_shell_command(schema):
    text = json.dumps(schema)
    assert "Shell command" not in text and "tox, nox, make test" not in text
    assert "not run through a shell" in text


def property_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        yield from node.get("properties", {})
        for value in node.values():
            yield from property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from property_names(value)


def test_no_doc_calls_a_key_the_schema_has_proposed():
    """A key in the schema is real: no "proposed key" is left where the docs name it."""
    keys = {k for k in property_names(CONFIG_SCHEMA) if "_" in k}  # allow_bots, max_new...
    for path in DOCS:
        for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            if re.search(r"\bproposed(?: key|;)", paragraph, re.IGNORECASE):
                named = {k for k in keys if re.search(rf"\b{k}\b", paragraph)}
                assert not named, f"{rel(path)} calls {sorted(named)} proposed: {paragraph}"
