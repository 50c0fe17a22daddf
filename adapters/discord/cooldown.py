"""Per-user mention cooldown: a sliding window, with one friendly note per cooldown."""

from __future__ import annotations

import enum
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class Verdict(enum.Enum):
    ALLOW = "allow"  # answer the mention
    WARN = "warn"  # over the limit: send one friendly note
    SILENT = "silent"  # over the limit and already told: ignore quietly


@dataclass(frozen=True, slots=True)
class Check:
    verdict: Verdict
    retry_after: float = 0.0  # seconds until the user may ask again

    @property
    def wait_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after))


class MentionCooldown:
    """At most ``limit`` answered mentions per user within ``window`` seconds."""

    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._warned_until: dict[str, float] = {}

    def check(self, user: str) -> Check:
        """Record a mention by ``user`` and say whether to answer it."""
        now = self._clock()
        hits = self._hits.setdefault(user, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        self._forget_idle(now)
        if len(hits) < self.limit:
            hits.append(now)
            return Check(Verdict.ALLOW)
        retry_after = hits[0] + self.window - now
        if self._warned_until.get(user, -math.inf) > now:
            return Check(Verdict.SILENT, retry_after)
        # Warn once per cooldown, so the notes themselves cannot flood the channel.
        self._warned_until[user] = now + retry_after
        return Check(Verdict.WARN, retry_after)

    def _forget_idle(self, now: float) -> None:
        """Drop users with no recent mentions, so memory stays bounded on busy servers."""
        if len(self._hits) < 1024:
            return
        for user in [u for u, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[user]
            self._warned_until.pop(user, None)
