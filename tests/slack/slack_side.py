"""Slack's side of the conversation in tests: signed slash commands, events and clicks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from fake_slack import BOT_USER, TEAM, FakeSlack

SECRET = "test-signing-secret"
KNOWLEDGE = Path(__file__).parent / "knowledge"


def signed_headers(
    body: str, *, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Headers exactly as Slack signs a request: v0=HMAC-SHA256(secret, "v0:ts:body")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}


@dataclass
class SlackSide:
    """Sends what Slack would send: slash commands, events and button clicks, all signed."""

    http: aiohttp.ClientSession
    url: str
    fake: FakeSlack
    _requests: int = 0

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None, **sign: Any
    ) -> Reply:
        all_headers = {
            "Content-Type": content_type,
            **signed_headers(body, **sign),
            **(headers or {}),
        }
        async with self.http.post(self.url, data=body, headers=all_headers) as response:
            return Reply(response.status, await response.text())

    async def command(self, command: str, text: str, *, user: str = "U1", **sign: Any) -> Reply:
        self._requests += 1
        body = urlencode(
            {
                "command": command,
                "text": text,
                "team_id": TEAM,
                "channel_id": "C1",
                "user_id": user,
                "trigger_id": "trigger",
                "response_url": self.fake.response_url(f"r{self._requests}"),
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded", **sign)

    async def event(
        self, event: dict[str, Any], *, event_id: str = "Ev1", retry: int | None = None
    ) -> Reply:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "api_app_id": "A1",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
                "event": event,
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, "application/json", headers=headers if retry else None)

    async def click(
        self,
        button: dict[str, Any],
        *,
        user: str = "U2",
        message: dict[str, Any] | None = None,
        container: dict[str, Any] | None = None,
    ) -> Reply:
        """Click a button taken from a rendered message, like a member would."""
        self._requests += 1
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "channel": {"id": "C1"},
            "container": {"type": "message", "channel_id": "C1", **(container or {})},
            "message": {"ts": "1.0", "text": "answer"} if message is None else message,
            "response_url": self.fake.response_url(f"a{self._requests}"),
            "trigger_id": "trigger",
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button["value"],
                    "action_ts": "1.1",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")


def mention(text: str, *, ts: str = "1700000000.000100", **extra: Any) -> dict[str, Any]:
    return {"type": "app_mention", "user": "U1", "channel": "C1", "ts": ts, "text": text, **extra}


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message["blocks"]
    if isinstance(blocks, str):  # form-encoded Web API calls carry blocks as JSON text
        blocks = json.loads(blocks)
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def environ(tmp_path: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "KNOWLEDGE_DIR": str(KNOWLEDGE / "webinars"),  # the source "webinars"
        "DATABASE_URL": f"sqlite:///{tmp_path / 'qa.db'}",
        "DATA_DIR": str(tmp_path),
        "USER_ID_SALT": "test-salt",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        # One matching from start to end: the sentence model would take over mid-test.
        "EMBEDDING_MODEL": "word-vectors",
        **extra,
    }


StartSlack = Callable[..., Awaitable[SlackSide]]
