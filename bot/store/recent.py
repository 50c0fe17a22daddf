"""Event ids this process handled lately, so it never answers one event twice on its own.

The database claim makes several processes agree while the database answers; this memory
holds regardless of the database. It forgets after ``ttl`` (longer than Slack's retries,
which stop after about five minutes) or, oldest first, beyond ``capacity``.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

TTL = 3600.0  # seconds
CAPACITY = 50_000  # more than an hour of Slack's most events per app and workspace (30,000/h)

Seen = Literal["new", "seen", "released"]


class RecentEvents:
    """A bounded memory of ``(platform, event id)`` with a time to live."""

    def __init__(
        self,
        *,
        ttl: float = TTL,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        # key -> (claimed at, released); oldest first, so expiry trims from the front.
        self._events: OrderedDict[tuple[str, str], tuple[float, bool]] = OrderedDict()
        self._warned = False

    def __len__(self) -> int:
        return len(self._events)

    def claim(self, platform: str, event_id: str) -> Seen:
        """``"new"`` (now claimed), ``"seen"`` (a repeat), or ``"released"`` (claimed again)."""
        now = self.clock()
        self._expire(now)
        key = (platform, event_id)
        previous = self._events.get(key)
        if previous is not None and not previous[1]:
            return "seen"
        self._events.pop(key, None)  # re-insert at the end: the order stays oldest first
        self._events[key] = (now, False)
        if len(self._events) > self.capacity:
            self._events.popitem(last=False)
            if not self._warned:
                self._warned = True
                log.warning(
                    "more than %d events within %.0f s; forgetting the oldest early",
                    self.capacity,
                    self.ttl,
                )
        return "new" if previous is None else "released"

    def release(self, platform: str, event_id: str) -> None:
        """Let the next delivery of the event be handled (its answer could not be posted)."""
        key = (platform, event_id)
        if key in self._events:
            self._events[key] = (self._events[key][0], True)

    def forget(self, platform: str, event_id: str) -> None:
        """Drop an event another process handles: its redeliveries ask the database again."""
        self._events.pop((platform, event_id), None)

    def _expire(self, now: float) -> None:
        while self._events:
            claimed_at = next(iter(self._events.values()))[0]
            if now - claimed_at < self.ttl:
                return
            self._events.popitem(last=False)
