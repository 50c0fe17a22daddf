"""Slack's HTTP endpoint checks who is asking before anything else.

An aiohttp middleware in front of slack-bolt: the signature (slack_sdk's ``SignatureVerifier``)
is checked before the body is parsed, so an unsigned or badly signed post costs no parsing
and no work. A post without the signature headers, or with a non-numeric timestamp, is refused
from its headers alone (its body is never read). Refusals get 400 or 401 without a traceback;
their bodies are never logged (bolt would log them at INFO), and they are logged as a summary:
the first at once, then at most one line a minute with the counts.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

SUMMARY_EVERY = 60.0  # seconds between two log lines about refused requests
Handler = Callable[[web.Request], Any]


class Refusals:
    """Counts refused requests by reason; logs a summary at most every ``every`` seconds."""

    def __init__(
        self, every: float = SUMMARY_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every = every
        self.clock = clock
        self.counts: collections.Counter[str] = collections.Counter()
        self.logged_at: float | None = None

    def refuse(self, status: int, reason: str) -> web.Response:
        self.counts[reason] += 1
        now = self.clock()
        if self.logged_at is None or now - self.logged_at >= self.every:
            self._log(f"next summary in {self.every:.0f} s")
            self.logged_at = now
        return web.json_response({"error": reason}, status=status)

    def flush(self) -> None:
        """Log the refusals not summed up yet (the server stops)."""
        if self.counts:
            self._log("until the server stopped")

    def _log(self, when: str) -> None:
        summary = ", ".join(f"{count} {why}" for why, count in self.counts.items())
        log.warning("refused Slack requests (%s); %s", summary, when)
        self.counts.clear()


def verify_requests(signing_secret: str, path: str, refused: Refusals) -> Any:
    """The middleware for ``path``: verified, parseable posts reach bolt; others are refused."""
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def verify(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != path or request.method != "POST":
            return await handler(request)  # type: ignore[no-any-return]
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if timestamp is None or signature is None:
            return refused.refuse(401, "unsigned")
        if not timestamp.isdigit():
            return refused.refuse(400, "bad timestamp")
        try:
            body = (await request.read()).decode("utf-8")
        except web.HTTPRequestEntityTooLarge:
            return refused.refuse(413, "too large")
        except UnicodeDecodeError:
            return refused.refuse(400, "not UTF-8")
        if not verifier.is_valid(body, timestamp, signature):
            return refused.refuse(401, "bad signature or stale")
        if not _parses(body, request.headers.get("Content-Type")):
            return refused.refuse(400, "malformed body")
        return await handler(request)  # type: ignore[no-any-return]

    return verify


def _parses(body: str, content_type: str | None) -> bool:
    """Whether bolt can read the body: a JSON object or a form (with a JSON ``payload``)."""
    media_type = (content_type or "").split(";")[0].strip() or None
    try:
        return isinstance(parse_body(body, media_type), dict)
    except ValueError:
        return False
