"""The webhook payload GitHub wrote for this run (``$GITHUB_EVENT_PATH``). An adapter: reads a file.

Both the night (`bot.actions.main`) and the review bot (`bot.review.handler`) read it here, so
a missing or malformed payload is the same bad input, naming the file, whichever event it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.errors import UserError

EVENT_PATH = "GITHUB_EVENT_PATH"


def load_event(path: Path | None) -> dict[str, Any]:
    """The payload at ``path`` as a JSON object; UserError when unset, unreadable or not one."""
    if path is None:
        raise UserError("not set: the event payload is needed", field=EVENT_PATH)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(
            f"cannot read the event payload {path}: {exc.strerror}", field=EVENT_PATH
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"the event payload {path} is not JSON: {exc}", field=EVENT_PATH) from None
    if not isinstance(data, dict):
        raise UserError(f"the event payload {path} is not a JSON object", field=EVENT_PATH)
    return data
