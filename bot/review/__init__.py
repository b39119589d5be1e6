"""The review bot: reviewers steer Nightcrew from its PRs (see docs/bot.md).

Pure: ``events`` (webhook payload -> event), ``commands`` (``/nightcrew`` lines),
``rules`` (``IgnoreRules``), ``dashboard`` (the dashboard issue's body, render and parse),
``replies`` (what the bot says). Edges: ``board`` (the dashboard issue on GitHub, and what
the night needs from it), ``rebuild`` (rebase/recreate/revise through the night),
``handler`` (``handle_event``, ``run_from_env``).

This module imports nothing heavy, so the night and the publisher can import
``bot.review.rules`` or ``bot.review.board`` without cycles.
"""

from __future__ import annotations

from bot.review.events import EVENTS

__all__ = ["EVENTS"]
