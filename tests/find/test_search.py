from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.errors import CommandError, UserError
from bot.find.detectors import REGISTRY
from bot.find.search import drop_overlaps, find, withhold_probe_removals
from bot.model import Finding, TextEdit, apply_edits
from bot.recipes.model import Recipe

SORTED_OF_LIST = "def f(y):\n    return sorted(list(y))\n"


def recipe(**fields) -> Recipe:
    fields.setdefault("id", "r")
    return Recipe(title="t", description="d", **fields)


def write(root: Path, files: dict[str, str | bytes]) -> list[str]:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return [name for name in files if name.endswith(".py")]


def test_ruff_finding_carries_its_fix(tmp_path):
    files = write(tmp_path, {"pkg/mod.py": SORTED_OF_LIST})
    (finding,) = find(recipe(ruff_select=("C414",), fix_unsafe=True), tmp_path, files)
    assert (finding.recipe, finding.rule, finding.path) == ("r", "ruff:C414", "pkg/mod.py")
    assert (finding.start_line, finding.start_col, finding.end_line) == (2, 12, 2)
    assert finding.applicability == "unsafe"
    assert finding.fix_title == "Remove the inner `list()` call"
    assert finding.url and "unnecessary-double-cast-or-process" in finding.url
    assert finding.snippet == "sorted(list(y))" and len(finding.fingerprint) == 64
    assert apply_edits(SORTED_OF_LIST, finding.edits) == "def f(y):\n    return sorted(y)\n"


def test_unsafe_fix_dropped_unless_recipe_allows_it(tmp_path):
    files = write(tmp_path, {"m.py": SORTED_OF_LIST})
    (finding,) = find(recipe(ruff_select=("C414",), fix_unsafe=False), tmp_path, files)
    assert finding.edits == ()
    assert finding.applicability == "unsafe"


def test_safe_fix_kept_without_fix_unsafe(tmp_path):
    files = write(tmp_path, {"m.py": "import os\nimport sys\nprint(sys)\n"})
    (finding,) = find(recipe(ruff_select=("F401",)), tmp_path, files)
    assert finding.applicability == "safe"
    assert apply_edits((tmp_path / "m.py").read_text(), finding.edits) == "import sys\nprint(sys)\n"


def test_diagnostic_without_fix_is_a_finding_without_edits(tmp_path):
    source = "try:\n    import simplejson\nexcept ImportError:\n    pass\n"
    files = write(tmp_path, {"m.py": source})
    (finding,) = find(recipe(ruff_select=("F401",), fix_unsafe=True), tmp_path, files)
    assert (finding.rule, finding.edits, finding.applicability) == ("ruff:F401", (), "display-only")


def test_repo_config_with_fix_true_does_not_rewrite_files(tmp_path):
    files = write(
        tmp_path,
        {
            "pyproject.toml": "[tool.ruff]\nfix = true\nunsafe-fixes = true\n",
            "m.py": SORTED_OF_LIST,
        },
    )
    findings = find(recipe(ruff_select=("C414",), fix_unsafe=True), tmp_path, files)
    assert [f.rule for f in findings] == ["ruff:C414"]
    assert (tmp_path / "m.py").read_text() == SORTED_OF_LIST
    assert not (tmp_path / ".ruff_cache").exists()


def test_repo_config_applies_but_recipe_picks_the_rules(tmp_path):
    config = (
        "[tool.ruff.lint]\nselect = ['E']\nignore = ['C414']\n"
        "[tool.ruff.lint.per-file-ignores]\n'skip.py' = ['C414']\n"
    )
    files = write(
        tmp_path,
        {"pyproject.toml": config, "m.py": SORTED_OF_LIST, "skip.py": SORTED_OF_LIST},
    )
    findings = find(recipe(ruff_select=("C414",)), tmp_path, files)
    assert [(f.path, f.rule) for f in findings] == [("m.py", "ruff:C414")]


def test_isolated_ignores_the_repo_config(tmp_path):
    config = "[tool.ruff.lint.per-file-ignores]\n'm.py' = ['C414']\n"
    files = write(tmp_path, {"pyproject.toml": config, "m.py": SORTED_OF_LIST})
    assert find(recipe(ruff_select=("C414",)), tmp_path, files) == []
    assert len(find(recipe(ruff_select=("C414",)), tmp_path, files, isolated=True)) == 1


def test_broken_repo_config_falls_back_to_isolated(tmp_path, caplog):
    files = write(
        tmp_path, {"pyproject.toml": "[tool.ruff]\nbogus-key = 1\n", "m.py": SORTED_OF_LIST}
    )
    with caplog.at_level(logging.WARNING, logger="bot.find.search"):
        findings = find(recipe(ruff_select=("C414",)), tmp_path, files)
    assert [f.rule for f in findings] == ["ruff:C414"]
    assert "--isolated" in caplog.text


def test_ruff_crash_raises_command_error(tmp_path):
    files = write(tmp_path, {"m.py": SORTED_OF_LIST})
    with pytest.raises(CommandError) as excinfo:
        find(recipe(ruff_select=("XYZ999",)), tmp_path, files)
    assert excinfo.value.returncode == 2
    assert "--no-fix" in excinfo.value.cmd and "XYZ999" in str(excinfo.value)


def test_no_files_means_no_search(tmp_path):
    write(tmp_path, {"m.py": SORTED_OF_LIST})
    assert (
        find(recipe(ruff_select=("C414",), detectors=("list-concat-in-loop",)), tmp_path, []) == []
    )


def test_only_the_given_files_are_searched(tmp_path):
    write(tmp_path, {"a.py": SORTED_OF_LIST, "b.py": SORTED_OF_LIST + CONCAT})
    findings = find(
        recipe(ruff_select=("C414",), detectors=("list-concat-in-loop",)), tmp_path, ["b.py"]
    )
    assert [f.path for f in findings] == ["b.py", "b.py"]


def test_syntax_errors_are_not_findings(tmp_path):
    files = write(tmp_path, {"bad.py": "def f(:\n", "ok.py": SORTED_OF_LIST})
    findings = find(
        recipe(ruff_select=("C414",), detectors=("list-concat-in-loop",)), tmp_path, files
    )
    assert [f.path for f in findings] == ["ok.py"]


CONCAT = "def f(xs):\n    out = []\n    for x in xs:\n        out = out + [x]\n    return out\n"


def test_detector_findings(tmp_path):
    files = write(
        tmp_path, {"m.py": CONCAT, "latin1.py": "# \xe9\n".encode("latin-1") + CONCAT.encode()}
    )
    (finding,) = find(recipe(detectors=("list-concat-in-loop",)), tmp_path, files)
    assert (finding.rule, finding.path, finding.start_line) == (
        "nightcrew:list-concat-in-loop",
        "m.py",
        4,
    )
    assert finding.fix_title and finding.snippet == "out = out + [x]"
    assert apply_edits(CONCAT, finding.edits).count("out.append(x)") == 1


def test_unknown_detector_is_a_user_error(tmp_path):
    files = write(tmp_path, {"m.py": CONCAT})
    with pytest.raises(UserError, match="no-such-detector"):
        find(recipe(detectors=("no-such-detector",)), tmp_path, files)


def test_overlapping_findings_of_different_rules_keep_the_first(tmp_path):
    source = "def f(xs):\n    return any([v for v in list(list(xs))])\n"
    files = write(tmp_path, {"m.py": source})
    findings = find(recipe(ruff_select=("C414", "C419"), fix_unsafe=True), tmp_path, files)
    assert [f.rule for f in findings] == ["ruff:C419"]


def finding(rule: str, line: int, col: int, end_col: int, edits=(), path: str = "m.py"):
    return Finding("r", rule, path, line, col, line, end_col, "msg", edits=tuple(edits))


@pytest.mark.parametrize(
    ("findings", "kept"),
    [
        pytest.param(
            [finding("a", 1, 5, 10), finding("b", 1, 8, 12)], ["a"], id="overlap-keeps-first"
        ),
        pytest.param(
            [finding("b", 1, 5, 10), finding("a", 1, 5, 10)], ["a"], id="same-span-rule-order"
        ),
        pytest.param(
            [finding("a", 1, 5, 10), finding("b", 1, 10, 12)], ["a", "b"], id="touching-kept"
        ),
        pytest.param(
            [finding("a", 1, 5, 10), finding("a", 1, 6, 9)], ["a", "a"], id="same-rule-kept"
        ),
        pytest.param(
            [finding("a", 1, 5, 10), finding("b", 1, 5, 10, path="n.py")],
            ["a", "b"],
            id="other-file-kept",
        ),
        pytest.param(
            [finding("a", 1, 8, 9, [TextEdit(1, 1, 2, 1, "")]), finding("b", 1, 2, 4)],
            ["b"],
            id="edits-count-as-covered-code",
        ),
    ],
)
def test_drop_overlaps(findings, kept):
    assert [f.rule for f in drop_overlaps(findings)] == kept


def test_fingerprints_survive_lines_added_above(tmp_path):
    r = recipe(ruff_select=("C414",), fix_unsafe=True)
    files = write(tmp_path, {"m.py": SORTED_OF_LIST})
    (before,) = find(r, tmp_path, files)
    write(tmp_path, {"m.py": "import os\n\n\n" + SORTED_OF_LIST})
    (after,) = find(r, tmp_path, files)
    assert after.start_line == before.start_line + 3
    assert after.fingerprint == before.fingerprint


def test_identical_snippets_get_different_fingerprints(tmp_path):
    source = SORTED_OF_LIST + "\n\ndef g(y):\n    return sorted(list(y))\n"
    files = write(tmp_path, {"m.py": source})
    first, second = find(recipe(ruff_select=("C414",), fix_unsafe=True), tmp_path, files)
    assert first.snippet == second.snippet
    assert (first.occurrence, second.occurrence) == (0, 1)
    assert first.fingerprint != second.fingerprint


def test_results_sorted_by_path_and_line(tmp_path):
    files = write(tmp_path, {"b.py": SORTED_OF_LIST + CONCAT, "a.py": CONCAT + SORTED_OF_LIST})
    findings = find(
        recipe(ruff_select=("C414",), detectors=("list-concat-in-loop",), fix_unsafe=True),
        tmp_path,
        files,
    )
    keys = [(f.path, f.start_line) for f in findings]
    assert keys == sorted(keys) and len(keys) == 4


def test_files_are_searched_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr("bot.find.search._BATCH", 2)
    files = write(tmp_path, {f"m{i}.py": SORTED_OF_LIST for i in range(5)})
    findings = find(recipe(ruff_select=("C414",)), tmp_path, files)
    assert sorted(f.path for f in findings) == sorted(files)


def test_unreadable_ruff_output_raises_command_error(tmp_path, monkeypatch):
    fake = tmp_path / "fake-ruff"
    fake.write_text("#!/bin/sh\necho 'not json'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr("bot.find.search.find_ruff_bin", lambda: str(fake))
    files = write(tmp_path, {"m.py": SORTED_OF_LIST})
    with pytest.raises(CommandError, match="unreadable JSON"):
        find(recipe(ruff_select=("C414",)), tmp_path, files)


class _Broken:
    name = "broken"
    summary = "raises on every file"

    def detect(self, source, path):
        raise RuntimeError("detector bug")


def test_a_crashing_detector_costs_only_its_own_findings(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(REGISTRY, "broken", _Broken())
    files = write(tmp_path, {"m.py": CONCAT})
    with caplog.at_level(logging.ERROR, logger="bot.find.search"):
        findings = find(recipe(detectors=("broken", "list-concat-in-loop")), tmp_path, files)
    assert [f.rule for f in findings] == ["nightcrew:list-concat-in-loop"]
    assert "broken" in caplog.text and "m.py" in caplog.text


def test_byte_order_mark_is_not_counted_like_in_ruff(tmp_path):
    files = write(tmp_path, {"m.py": "\ufeffx = sorted(list(y))\n".encode()})
    (finding,) = find(recipe(ruff_select=("C414",), fix_unsafe=True), tmp_path, files)
    assert finding.snippet == "sorted(list(y))"
    assert apply_edits("x = sorted(list(y))\n", finding.edits) == "x = sorted(y)\n"


PROBES = [
    pytest.param("try:\n    import readline\nexcept ImportError:\n    pass\n", id="importerror"),
    pytest.param(
        "try:\n    import a\nexcept (OSError, ModuleNotFoundError):\n    pass\n", id="tuple"
    ),
    pytest.param("try:\n    import a\nexcept Exception:\n    pass\n", id="exception"),
    pytest.param("try:\n    import a\nexcept:\n    pass\n", id="bare"),
    pytest.param("try:\n    if x:\n        import a\nexcept ImportError:\n    pass\n", id="nested"),
]
NOT_PROBES = [
    pytest.param("import a\n", id="top-level"),
    pytest.param("try:\n    import a\nfinally:\n    pass\n", id="try-finally"),
    pytest.param("try:\n    import a\nexcept KeyError:\n    pass\n", id="other-handler"),
    pytest.param("try:\n    pass\nexcept ImportError:\n    import a\n", id="in-handler"),
]


def _f401(text: str) -> Finding:
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "import a" in t or "readline" in t)
    edit = TextEdit(line, 1, line + 1, 1, "")
    return Finding("unused-imports", "ruff:F401", "m.py", line, 5, line, 20, "unused", (edit,))


@pytest.mark.parametrize("text", PROBES)
def test_availability_probes_keep_their_import(text):
    (result,) = withhold_probe_removals([_f401(text)], {"m.py": text})
    assert result.edits == ()
    assert "checks whether the module is available" in result.no_fix_reason


@pytest.mark.parametrize("text", NOT_PROBES)
def test_other_unused_imports_keep_their_fix(text):
    (result,) = withhold_probe_removals([_f401(text)], {"m.py": text})
    assert result.edits
    assert result.no_fix_reason == ""


def test_symlinked_files_and_folders_are_not_searched(tmp_path):
    """A link's target is not the repository's code, or is found under its own path."""
    outside = tmp_path / "outside"
    write(outside, {"out.py": "import os\n", "deep/mod.py": "import os\n"})
    root = tmp_path / "repo"
    files = write(root, {"pkg/real.py": "import os\n"})
    (root / "pkg" / "ext.py").symlink_to(outside / "out.py")
    (root / "pkg" / "alias.py").symlink_to("real.py")
    (root / "linked").symlink_to(outside / "deep")
    files += ["pkg/ext.py", "pkg/alias.py", "linked/mod.py"]
    for chosen in (recipe(ruff_select=("F401",)), recipe(detectors=("copy-candidates",))):
        found = find(chosen, root, files)
        assert {f.path for f in found} <= {"pkg/real.py"}
    assert [f.path for f in find(recipe(ruff_select=("F401",)), root, files)] == ["pkg/real.py"]
