"""A Discord member using /ask and its autocomplete in any channel of the fake guild."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fake_discord import CHANNEL, CHANNEL_ID, FakeDiscord, slash


@dataclass
class DiscordMember:
    """A member using /ask in a channel of the fake Discord guild."""

    fake: FakeDiscord

    async def ask(self, text: str, channel: int = CHANNEL_ID, within: float = 5.0) -> str:
        """What the bot answered to this /ask (its response, or the follow-up), as JSON."""
        payload = interaction(slash("ask", {"question": text}), channel)
        return json.dumps(await self.respond(payload, within), ensure_ascii=False)

    async def complete(self, text: str, channel: int = CHANNEL_ID) -> list[dict[str, Any]]:
        """The autocomplete choices offered while typing ``text``."""
        payload = interaction(slash("ask", {"question": text}, focused="question"), channel)
        data = await self.respond(payload, 5.0)
        choices: list[dict[str, Any]] = data["choices"]
        return choices

    async def respond(self, payload: dict[str, Any], within: float) -> dict[str, Any]:
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        token = re.escape(payload["token"])
        [callback] = await self.fake.wait_for(
            "POST", rf"/interactions/{payload['id']}/{token}/callback", within=within
        )
        if callback.json["type"] != 5:  # answered at once (4), or autocomplete (8)
            data: dict[str, Any] = callback.json["data"]
            return data
        [follow_up] = await self.fake.wait_for("POST", rf"/webhooks/\d+/{token}", within=within)
        answer: dict[str, Any] = follow_up.json
        return answer


def interaction(payload: dict[str, Any], channel: int) -> dict[str, Any]:
    """``payload`` as if sent in ``channel`` of the guild."""
    payload["channel_id"] = str(channel)
    payload["channel"] = {**CHANNEL, "id": str(channel), "name": f"channel-{channel}"}
    return payload
