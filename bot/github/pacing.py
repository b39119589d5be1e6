"""How often and how fast Nightcrew asks GitHub: rate-limit waits, the write pacer, retries (pure).

Retries: PyGithub's urllib3 ``Retry`` (``retry_policy``) is the single retry layer for API
calls, on 5xx and dropped connections only; 403/429 rate limits are not retried but read by
``rate_limit_wait`` into ``ApiError.retry_after``, so the publisher can stop cleanly.
Content-creating requests go one at a time through a ``Pacer`` (GitHub asks for at least a
second between them). The clock and ``sleep`` are injectable; nothing here makes a request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

from urllib3.util.retry import Retry

RETRY_STATUSES = (500, 502, 503, 504)
# POST is retried too, for the POSTs that are safe to repeat or whose repeat is detected: a
# repeated "create PR" or "create label" answers 422 "already exists", which the publisher
# reads; labels, reviewers, assignees and reactions are sets; a second dashboard issue made
# by a repeated "create issue" is merged into the first by the next update (dashboard/board.py).
# Comments are none of these: ``create_comment`` uses ``retry_policy(repeat_posts=False)``.
RETRY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "POST"})
_RATE_LIMIT_WORDS = ("rate limit", "abuse detection", "please wait a few minutes")


def rate_limit_wait(
    status: int | None,
    headers: Mapping[str, Any],
    message: str,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds GitHub asks us to wait when ``status`` is a rate limit, else None.

    Secondary limits send ``retry-after``; an exhausted primary limit sends
    ``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset`` (epoch seconds); without either
    GitHub's advice is to wait at least a minute.
    """
    if status not in (403, 429):
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after" in lower:
        return _retry_after_seconds(lower["retry-after"], now)
    if lower.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(lower.get("x-ratelimit-reset", "")) - now())
        except ValueError:
            return 60.0
    if status == 429 or any(w in message.lower() for w in _RATE_LIMIT_WORDS):
        return 60.0
    return None


def _retry_after_seconds(value: str, now: Callable[[], float]) -> float:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return 60.0


class Pacer:
    """Content-creating requests one at a time, at least ``interval`` seconds apart."""

    def __init__(
        self,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - self.clock()
                if wait > 0:
                    self.sleep(wait)
            try:
                yield
            finally:
                self._last = self.clock()


def retry_policy(total: int = 3, backoff: float = 1.0, *, repeat_posts: bool = True) -> Retry:
    """The one retry layer for API calls: 5xx and connection failures, exponential backoff.

    ``repeat_posts=False`` is the policy for comments: a POST is then repeated only when it
    surely never reached GitHub (the connection could not be made). urllib3 does not repeat
    a method outside ``allowed_methods`` on a 5xx or a read error (a timeout, a connection
    dropped after the request was sent), but does on "other" errors (an SSL error, which
    can come after the request was sent), hence ``other=0``.
    """
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=None if repeat_posts else 0,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=RETRY_METHODS if repeat_posts else RETRY_METHODS - {"POST"},
        # Rate limits stop publishing instead; a retry-after could also be hours long.
        respect_retry_after_header=False,
        # After the last retry, hand the response to PyGithub so it raises with GitHub's body.
        raise_on_status=False,
    )
