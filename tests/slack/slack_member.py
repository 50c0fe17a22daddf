"""A Slack member asking a running worker over HTTP, and a fake Slack that tells replies apart."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from fake_slack import TEAM, Call, FakeSlack
from slack_side import signed_headers

from tests.support.living_knowledge import eventually


class RecordingSlack(FakeSlack):
    """The fake Slack, remembering which response URL each reply went to."""

    async def _response_url(self, request: web.Request) -> web.Response:
        payload = await self._payload(request)
        payload["_rid"] = request.match_info["rid"]
        self.calls.append(Call("response_url", dict(request.headers), payload))
        return web.Response(text="ok")

    def reply_to(self, rid: str) -> dict[str, Any] | None:
        return next((p for p in self.of("response_url") if p["_rid"] == rid), None)


def slack_text(payload: dict[str, Any]) -> str:
    """What a member sees of a Slack message: its blocks (and buttons) as text."""
    blocks = payload.get("blocks", [])
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks, ensure_ascii=False)


@dataclass
class SlackMember:
    """A member using /ask through a worker's HTTP endpoint (``qabot slack --http``)."""

    http: aiohttp.ClientSession
    url: str
    fake: RecordingSlack
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def ask(self, text: str, channel: str = "C1", within: float = 5.0) -> dict[str, Any]:
        """What the bot answered to this /ask, through its response URL."""
        rid = f"ask{next(self._ids)}"
        body = urlencode(
            {
                "command": "/ask",
                "text": text,
                "team_id": TEAM,
                "channel_id": channel,
                "user_id": "U1",
                "trigger_id": "trigger",
                "response_url": self.fake.response_url(rid),
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
        async with self.http.post(self.url, data=body, headers=headers) as response:
            assert response.status == 200, await response.text()

        async def reply() -> dict[str, Any] | None:
            return self.fake.reply_to(rid)

        found, _ = await eventually(reply, within, pause=0.005)
        return found
