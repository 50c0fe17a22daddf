"""Discord failing while an answer is posted: retried by discord.py, bounded in time, never
lost, never apologised for. The same MESSAGE_CREATE seen again (a gateway resume, or the next
process) is answered once the platform is back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from discord_support import Connect
from fake_discord import BOT_ID, BOT_USER, CHANNEL_ID, FakeDiscord, message

from bot.replies import SORRY
from bot.service import QABot

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"
QUESTION = "How do I get the webinar recording?"


def a_mention(fake: FakeDiscord) -> dict[str, Any]:
    return message(fake.next_id(), content=f"<@{BOT_ID}> {QUESTION}", mentions=[BOT_USER])


def replies_seen(fake: FakeDiscord) -> list[dict[str, Any]]:
    """The bot's messages that Discord created (failed attempts are not among them)."""
    return list(fake.messages.values())


async def handled(qabot: QABot, within: float = 10.0) -> float:
    started = time.monotonic()
    await asyncio.sleep(0.1)
    async with asyncio.timeout(within):
        await qabot.in_flight.idle()
    return time.monotonic() - started


def is_answer(created: dict[str, Any]) -> bool:
    return any(embed.get("title") == QUESTION for embed in created.get("embeds", []))


async def test_a_single_500_is_retried_and_the_member_gets_the_answer(
    connect: Connect, fake: FakeDiscord, qabot: QABot
) -> None:
    await connect()
    fake.fail_next("POST", MESSAGES, 500)
    await fake.dispatch("MESSAGE_CREATE", a_mention(fake))
    await handled(qabot)
    [created] = replies_seen(fake)
    assert is_answer(created) and created.get("content") != SORRY
    assert len(fake.find("POST", MESSAGES)) == 2


@pytest.mark.parametrize(("status", "bound"), [(500, 1.5), (429, 5.0)])
async def test_a_lasting_error_gives_up_in_time_and_the_message_seen_again_is_answered_once(
    connect: Connect,
    fake: FakeDiscord,
    qabot: QABot,
    status: int,
    bound: float,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await connect(deliver_within=bound)
    fake.fail_next("POST", MESSAGES, status, times=50)
    mention = a_mention(fake)
    await fake.dispatch("MESSAGE_CREATE", mention)
    assert await handled(qabot) < bound + 1.5
    assert replies_seen(fake) == []  # no apology either: Discord would refuse it too
    assert "the reply was not delivered" in caplog.text and "Traceback" not in caplog.text

    fake.recover()
    await fake.dispatch("MESSAGE_CREATE", mention)
    await handled(qabot)
    await fake.dispatch("MESSAGE_CREATE", mention)  # answered already: nothing more
    await handled(qabot)
    [created] = replies_seen(fake)
    assert is_answer(created)


async def test_a_hanging_discord_is_given_up_on_within_the_bound(
    connect: Connect, fake: FakeDiscord, qabot: QABot
) -> None:
    await connect(deliver_within=1.0)
    fake.hang_next("POST", MESSAGES)
    mention = a_mention(fake)
    await fake.dispatch("MESSAGE_CREATE", mention)
    assert await handled(qabot) < 2.5
    assert replies_seen(fake) == []

    await fake.dispatch("MESSAGE_CREATE", mention)
    await handled(qabot)
    [created] = replies_seen(fake)
    assert is_answer(created)


async def test_a_slow_success_is_not_followed_by_an_apology(
    connect: Connect, fake: FakeDiscord, qabot: QABot
) -> None:
    await connect()
    gate = fake.hold("POST", MESSAGES)
    await fake.dispatch("MESSAGE_CREATE", a_mention(fake))
    await asyncio.sleep(1.5)
    assert qabot.in_flight.running == 1  # still waiting on Discord
    gate.set()
    await handled(qabot)
    await asyncio.sleep(0.2)
    [created] = replies_seen(fake)
    assert is_answer(created) and created.get("content") != SORRY
