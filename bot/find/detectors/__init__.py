"""Nightcrew's own detectors: pure ``source -> matches`` functions, one module each.

Adding a detector is adding a module with ``name``, ``summary`` and ``detect`` (see
``base.Detector``) and one entry below. Recipes name detectors by ``name``.
"""

from __future__ import annotations

from bot.find.detectors import (
    copy_before_iteration,
    copy_candidates,
    copy_for_lookup,
    list_concat_in_loop,
    list_for_truth,
    read_only_loop,
    redundant_copy,
    slice_to_match,
    slice_to_search,
    unchanged_snapshot,
    unmutated_local_copy,
)
from bot.find.detectors.core import Detector, Match

REGISTRY: dict[str, Detector] = {
    detector.name: detector
    for detector in (
        list_concat_in_loop,
        copy_before_iteration,
        read_only_loop,
        copy_candidates,
        copy_for_lookup,
        list_for_truth,
        redundant_copy,
        slice_to_match,
        slice_to_search,
        unchanged_snapshot,
        unmutated_local_copy,
    )
}

__all__ = ["REGISTRY", "Detector", "Match"]
