"""The review bot: reviewers steer Nightcrew from its PRs (see docs/bot.md).

Pure: ``events`` (webhook payload -> event), ``commands`` (``/nightcrew`` lines, and
``VERBS``, the one table of commands), ``replies`` (what the bot says). Edges: ``verbs``
(what each command does, bound to its entry in ``VERBS``), ``rebuild`` (rebase/recreate/
revise through the night), ``handler`` (``handle_event``, ``run_from_env``). The dashboard
issue and its ignore rules live in ``bot.dashboard``.

This module imports nothing heavy, so the night and the publisher can import
``bot.review.events`` without cycles.
"""

from __future__ import annotations

from bot.review.events import EVENTS

__all__ = ["EVENTS"]
