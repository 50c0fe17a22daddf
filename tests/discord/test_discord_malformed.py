"""Malformed gateway events reach the real discord.py client: each is logged and counted, and
the worker goes on answering (discord.py alone would end the connection, and the process)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from discord_support import Connect
from fake_discord import BOT_ID, BOT_USER, CHANNEL_ID, FakeDiscord, message

from bot.service import QABot

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"


def mention(fake: FakeDiscord, text: str) -> dict[str, Any]:
    return message(fake.next_id(), content=f"<@{BOT_ID}> {text}", mentions=[BOT_USER])


def errors(qabot: QABot, kind: str) -> float:
    value = qabot.metrics.registry.get_sample_value("qabot_errors_total", {"kind": kind})
    return value or 0.0


async def test_malformed_events_are_skipped_counted_and_answering_goes_on(
    connect: Connect, fake: FakeDiscord, qabot: QABot, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connect()
    caplog.set_level(logging.WARNING)
    no_author = mention(fake, "secret question text")
    del no_author["author"]
    bad_id = {**mention(fake, "how do I submit my homework?"), "id": "not-a-number"}
    await fake.dispatch("MESSAGE_CREATE", no_author)
    await fake.dispatch("MESSAGE_CREATE", bad_id)
    await fake.send_raw("this is not JSON {")
    await fake.send_raw(json.dumps({"op": 0, "t": "MESSAGE_CREATE", "s": 99, "d": None}))

    await fake.dispatch("MESSAGE_CREATE", mention(fake, "How do I get the webinar recording?"))
    [answer] = await fake.wait_for("POST", MESSAGES)
    assert answer.json["embeds"][0]["title"] == "How do I get the webinar recording?"
    assert not client.is_closed()
    assert errors(qabot, "discord_event") == 4
    skipped = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(skipped) == 4 and "(not JSON)" in skipped[2] and "MESSAGE_CREATE" in skipped[0]
    assert "secret question text" not in caplog.text  # payloads are not logged
