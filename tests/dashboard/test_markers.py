"""Hidden markers: built, read back, and not fooled by look-alikes copied from code."""

from __future__ import annotations

import pytest

from bot.dashboard import markers
from bot.dashboard.markers import PullMarker

FP = "ab" * 32
OTHER = "cd" * 32


@pytest.mark.parametrize(
    ("marker", "text"),
    [
        pytest.param(
            PullMarker(FP, "unnecessary-copies"),
            f"<!-- nightcrew:fingerprint={FP};recipe=unnecessary-copies;v=1 -->",
            id="plain",
        ),
        pytest.param(
            PullMarker(FP, "tidy", closed="gone"),
            f"<!-- nightcrew:fingerprint={FP};recipe=tidy;v=1;closed=gone -->",
            id="closed-by-nightcrew",
        ),
        pytest.param(
            PullMarker(FP, "odd;id=x -->"),
            f"<!-- nightcrew:fingerprint={FP};recipe=odd%3Bid%3Dx%20--%3E;v=1 -->",
            id="hostile-recipe-id-is-encoded",
        ),
        pytest.param(
            PullMarker(FP, "tidy", path="pkg/a.py"),
            f"<!-- nightcrew:fingerprint={FP};recipe=tidy;path=pkg%2Fa.py;v=1 -->",
            id="with-path",
        ),
        pytest.param(
            PullMarker(FP, "tidy", closed="gone", path="src/app/io.py"),
            f"<!-- nightcrew:fingerprint={FP};recipe=tidy;path=src%2Fapp%2Fio.py;v=1;"
            "closed=gone -->",
            id="with-path-closed",
        ),
        pytest.param(
            PullMarker(FP, "tidy", path="docs/a b;path=x/c=d --!><!-- nightcrew:é.py"),
            f"<!-- nightcrew:fingerprint={FP};recipe=tidy;"
            "path=docs%2Fa%20b%3Bpath%3Dx%2Fc%3Dd%20--%21%3E%3C%21--%20nightcrew%3A%C3%A9.py;"
            "v=1 -->",
            id="hostile-path-is-encoded",
        ),
    ],
)
def test_render_and_parse_round_trip(marker: PullMarker, text: str) -> None:
    assert marker.render() == text
    assert markers.parse_pull(f"Some body.\n\n{text}\n") == marker
    assert len(markers.decode_all(text)) == 1  # no value ends the comment or adds a marker


def test_a_marker_without_a_path_still_parses_and_one_with_a_path_reads_as_before() -> None:
    old = f"<!-- nightcrew:fingerprint={FP};recipe=tidy;v=1 -->"  # written before paths
    parsed = markers.parse_pull(old)
    assert parsed == PullMarker(FP, "tidy") and parsed.path is None
    new = PullMarker(FP, "tidy", path="pkg/a.py").render()
    # What a reader that knows no paths takes from it: the same fields as ever.
    (fields,) = markers.decode_all(new)
    assert {k: fields[k] for k in ("fingerprint", "recipe", "v")} == {
        "fingerprint": FP,
        "recipe": "tidy",
        "v": "1",
    }
    empty = f"<!-- nightcrew:fingerprint={FP};recipe=tidy;path=;v=1 -->"
    assert markers.parse_pull(empty) == PullMarker(FP, "tidy")  # an empty path is no path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(None, None, id="no-body"),
        pytest.param("", None, id="empty"),
        pytest.param("a PR by a person", None, id="no-marker"),
        pytest.param("<!-- nightcrew:recipe=x;v=1 -->", None, id="no-fingerprint"),
        pytest.param("<!-- nightcrew:fingerprint=zz;recipe=x -->", None, id="not-hex"),
        pytest.param(f"<!-- nightcrew:fingerprint={FP};v=1 -->", None, id="no-recipe"),
        pytest.param(f"<!-- nightcrew:fingerprint={FP};recipe=x;v=two -->", None, id="bad-version"),
        pytest.param(
            f"<!-- nightcrew:notice=human-push;fingerprint={FP};recipe=x -->",
            None,
            id="a-comment-notice-is-not-a-pr-marker",
        ),
        pytest.param(
            f"<!--nightcrew:fingerprint={FP};recipe=x-->",
            PullMarker(FP, "x"),
            id="no-spaces",
        ),
        pytest.param(
            f"<!-- nightcrew:fingerprint={OTHER};recipe=copied -->\n"
            f"<!-- nightcrew:fingerprint={FP};recipe=real;v=1 -->",
            PullMarker(FP, "real"),
            id="the-last-marker-wins",
        ),
        pytest.param(
            f"<!-- nightcrew:fingerprint={FP};recipe=real;v=1 -->\n<!-- nightcrew:junk -->",
            PullMarker(FP, "real"),
            id="a-broken-later-marker-is-skipped",
        ),
    ],
)
def test_parse_pull(body: str | None, expected: PullMarker | None) -> None:
    assert markers.parse_pull(body) == expected


def test_defused_look_alike_is_not_read() -> None:
    copied = f"<!-- nightcrew:fingerprint={OTHER};recipe=evil;v=1 -->"
    defused = markers.defuse(copied)
    assert markers.parse_pull(defused) is None
    assert defused.replace("\u200b", "") == copied  # reads the same
    assert markers.defuse("rule nightcrew:list-concat-in-loop") == (
        "rule nightcrew:list-concat-in-loop"
    )


def test_notices() -> None:
    text = "Hello\n\n" + markers.notice("human-push", FP)
    assert markers.has_notice(text, "human-push", FP)
    assert not markers.has_notice(text, "gone", FP)
    assert not markers.has_notice(text, "human-push", OTHER)
    assert markers.parse_pull(text) is None
    with_extra = markers.notice("rebuilt", FP, base="0123abc")
    assert markers.decode_all(with_extra) == [
        {"notice": "rebuilt", "fingerprint": FP, "base": "0123abc"}
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            f"Text\n\n<!-- nightcrew:fingerprint={FP};recipe=r;v=1 -->\n",
            f"Text\n\n<!-- nightcrew:fingerprint={FP};recipe=r;v=1;closed=gone -->\n",
            id="swapped-in-place",
        ),
        pytest.param(
            "A person rewrote the whole body",
            f"A person rewrote the whole body\n\n"
            f"<!-- nightcrew:fingerprint={FP};recipe=r;v=1;closed=gone -->\n",
            id="appended-when-missing",
        ),
    ],
)
def test_replace_pull_marker(body: str, expected: str) -> None:
    result = markers.replace_pull_marker(body, PullMarker(FP, "r", closed="gone"))
    assert result == expected
    parsed = markers.parse_pull(result)
    assert parsed is not None and parsed.closed == "gone"


def test_replacing_a_marker_keeps_the_path_of_the_same_finding() -> None:
    closed = PullMarker(FP, "r", closed="gone", path="pkg/a.py")
    body = "Text\n\n" + closed.render() + "\n"
    # An open PR's marker that does not name the file (the review bot reopening a PR)
    # keeps it...
    kept = markers.parse_pull(markers.replace_pull_marker(body, PullMarker(FP, "r")))
    assert kept == PullMarker(FP, "r", path="pkg/a.py")
    # ...a closed one is written as given...
    unignored = PullMarker(FP, "r", closed="unignored")
    assert markers.parse_pull(markers.replace_pull_marker(body, unignored)) == unignored
    # ...one that names a file says so, and another finding's marker takes nothing from it.
    moved = markers.replace_pull_marker(body, PullMarker(FP, "r", path="pkg/b.py"))
    assert markers.parse_pull(moved) == PullMarker(FP, "r", path="pkg/b.py")
    other = markers.replace_pull_marker(body, PullMarker(OTHER, "r"))
    assert markers.parse_pull(other) == PullMarker(OTHER, "r")


def test_a_group_marker_carries_every_fingerprint() -> None:
    group = ("a" * 64, "b" * 64, "c" * 64)
    marker = markers.PullMarker("a" * 64, "tidy", path="pkg/core.py", fingerprints=group)
    text = marker.render()
    assert markers.parse_pull(f"body\n\n{text}\n") == marker
    assert marker.members == group
    assert markers.PullMarker("d" * 64, "tidy").members == ("d" * 64,)
    # Closing keeps the group, so every finding of it reads as ignored or gone.
    closed = markers.PullMarker("a" * 64, "tidy", closed="gone")
    assert markers.parse_pull(markers.replace_pull_marker(text, closed)).members == group
    # A damaged list (not hex, or without the PR's own fingerprint) is dropped.
    assert markers.parse_pull(text.replace("c" * 64, "not-hex")).members == ("a" * 64,)
    other = markers.PullMarker("d" * 64, "tidy", fingerprints=group).render()
    assert markers.parse_pull(other).members == ("d" * 64,)
