""" "Ask a mentor" on Discord: buttons through INTERACTION_CREATE on the fake gateway."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from discord_support import Connect, a_miss
from fake_discord import (
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    Call,
    FakeDiscord,
    click,
    custom_ids,
    message,
    slash,
    user,
)

from adapters.discord.settings import DiscordSettings
from bot import replies
from bot.service import QABot
from bot.settings import CoreSettings

EPHEMERAL = 64
MENTORS = 200000000000000077
TO_MENTORS = rf"/channels/{MENTORS}/messages"


async def interact(fake: FakeDiscord, payload: dict[str, Any]) -> Call:
    await fake.dispatch("INTERACTION_CREATE", payload)
    path = rf"/interactions/{payload['id']}/{re.escape(payload['token'])}/callback"
    [callback] = await fake.wait_for("POST", path)
    return callback


async def mention(fake: FakeDiscord, text: str) -> dict[str, Any]:
    """A member's message that mentions the bot, pushed through the gateway."""
    payload = message(fake.next_id(), content=f"<@{BOT_ID}> {text}", mentions=[BOT_USER])
    await fake.dispatch("MESSAGE_CREATE", payload)
    return payload


def with_mentors(settings: tuple[CoreSettings, DiscordSettings]) -> DiscordSettings:
    return dataclasses.replace(settings[1], mentor_channel=str(MENTORS))


def mentor_ids(message: dict[str, Any]) -> list[str]:
    return [i for i in custom_ids(message) if i.startswith("qa:mentor:")]


async def test_only_a_miss_offers_it_and_the_mentors_get_the_question_once(
    connect: Connect,
    fake: FakeDiscord,
    qabot: QABot,
    settings: tuple[CoreSettings, DiscordSettings],
) -> None:
    await connect(with_mentors(settings))
    answer = await interact(fake, slash("ask", {"question": "how do I submit my homework"}))
    assert mentor_ids(answer.json["data"]) == []  # an answer: no mentor

    question, _ = a_miss(qabot)
    callback = await interact(fake, slash("ask", {"question": question}))
    data = callback.json["data"]
    assert data["flags"] & EPHEMERAL  # the miss and its button are the asker's only
    [mentor] = mentor_ids(data)
    shown = list(fake.messages.values())[-1]

    other = await interact(fake, click(shown, mentor, who=user(301, "bob")))
    assert other.json["data"]["content"] == replies.MENTOR_NOT_ASKER
    said = [await interact(fake, click(shown, mentor)) for _ in range(3)]  # double click, replay
    assert [s.json["data"]["content"] for s in said] == [
        replies.MENTORS_NOTIFIED,
        replies.MENTORS_ALREADY,
        replies.MENTORS_ALREADY,
    ]
    assert all(s.json["data"]["flags"] & EPHEMERAL for s in said)
    [posted] = fake.find("POST", TO_MENTORS)
    assert question in posted.json["content"]
    assert f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID})" in posted.json["content"]
    assert posted.json["allowed_mentions"] == {"parse": []}


async def test_a_mention_links_the_mentors_to_the_members_message(
    connect: Connect,
    fake: FakeDiscord,
    qabot: QABot,
    settings: tuple[CoreSettings, DiscordSettings],
) -> None:
    await connect(with_mentors(settings))
    question, _ = a_miss(qabot)
    asked = await mention(fake, question)
    [reply] = await fake.wait_for("POST", rf"/channels/{CHANNEL_ID}/messages")
    shown = list(fake.messages.values())[-1]
    [mentor] = mentor_ids(shown)
    # A message reply is public on Discord: the button checks who presses it.
    other = await interact(fake, click(shown, mentor, who=user(301, "bob")))
    assert other.json["data"]["content"] == replies.MENTOR_NOT_ASKER
    told = await interact(fake, click(shown, mentor))
    assert told.json["data"]["content"] == replies.MENTORS_NOTIFIED_THREAD
    assert not told.json["data"].get("flags")  # said in the conversation, where mentors reply
    [posted] = fake.find("POST", TO_MENTORS)
    link = f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{asked['id']}"
    assert link in posted.json["content"] and reply.json["content"]


async def test_a_member_asks_the_mentors_at_most_three_times_an_hour(
    connect: Connect,
    fake: FakeDiscord,
    qabot: QABot,
    settings: tuple[CoreSettings, DiscordSettings],
) -> None:
    await connect(with_mentors(settings))
    question, _ = a_miss(qabot)
    misses = []
    for _ in range(4):
        await interact(fake, slash("ask", {"question": question}))
        misses.append(list(fake.messages.values())[-1])
    said = []
    for shown in misses:
        [mentor] = mentor_ids(shown)
        said.append((await interact(fake, click(shown, mentor))).json["data"]["content"])
    assert said == [replies.MENTORS_NOTIFIED] * 3 + [replies.mentors_limited(3)]
    assert len(fake.find("POST", TO_MENTORS)) == 3


async def test_without_a_mentor_channel_a_miss_has_no_mentor_button(
    connect: Connect, fake: FakeDiscord, qabot: QABot
) -> None:
    await connect()
    question, _ = a_miss(qabot)
    callback = await interact(fake, slash("ask", {"question": question}))
    assert custom_ids(callback.json["data"]) and mentor_ids(callback.json["data"]) == []
