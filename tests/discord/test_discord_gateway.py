"""The real discord.py client against the fake: login, READY, command sync and @-mentions."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import discord
import pytest
from discord_support import EPOCH, FUTURE, Clock, Connect, a_miss
from fake_discord import (
    APP_ID,
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
    TOKEN,
    FakeDiscord,
    message,
    user,
)

from adapters.discord.client import QAClient
from adapters.discord.settings import DiscordSettings
from bot.replies import SORRY
from bot.service import QABot
from bot.settings import CoreSettings

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"
NO_PINGS = {"parse": [], "replied_user": False}


async def mention(fake: FakeDiscord, text: str, **fields: Any) -> dict[str, Any]:
    """A member's message that mentions the bot, pushed through the gateway."""
    fields.setdefault("mentions", [BOT_USER])
    payload = message(fake.next_id(), content=f"<@{BOT_ID}> {text}", **fields)
    await fake.dispatch("MESSAGE_CREATE", payload)
    return payload


async def test_login_identifies_with_token_and_without_message_content(
    client: QAClient, fake: FakeDiscord
) -> None:
    assert fake.identify is not None
    assert fake.identify["token"] == TOKEN
    intents = fake.identify["intents"]
    assert intents & INTENT_GUILD_MESSAGES
    assert not intents & INTENT_MESSAGE_CONTENT  # privileged intent not needed
    assert client.user is not None and client.user.id == BOT_ID
    assert client.get_channel(CHANNEL_ID) is not None  # GUILD_CREATE after READY was applied
    [sync] = fake.find("PUT", rf"/applications/{APP_ID}/commands")
    ask = next(c for c in sync.json if c["name"] == "ask")
    assert ask["options"][0] == {**ask["options"][0], "name": "question", "autocomplete": True}
    assert {c["name"] for c in sync.json} == {"ask", "tip"}


async def test_commands_sync_to_each_configured_guild_instead_of_globally(
    connect: Connect, fake: FakeDiscord, settings: tuple[CoreSettings, DiscordSettings]
) -> None:
    guilds = dataclasses.replace(settings[1], guild_ids=(GUILD_ID, 42))
    await connect(guilds)
    synced = fake.find("PUT", rf"/applications/{APP_ID}/guilds/(\d+)/commands")
    assert [c.path.split("/")[4] for c in synced] == [str(GUILD_ID), "42"]
    assert all({c["name"] for c in call.json} == {"ask", "tip"} for call in synced)
    assert not fake.find("PUT", rf"/applications/{APP_ID}/commands")


async def test_mention_gets_a_reply_with_embed_reference_and_no_pings(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    asked = await mention(fake, "how do I get the webinar recording?")
    [reply] = await fake.wait_for("POST", MESSAGES)
    body = reply.json
    assert body["message_reference"]["message_id"] == int(asked["id"])
    assert body["allowed_mentions"] == NO_PINGS
    [embed] = body["embeds"]
    assert embed["title"] == "How do I get the webinar recording?"
    assert embed["url"].startswith("https://example.com/kb/webinars/07-shipping-projects.md#")
    assert embed["footer"]["text"] == "Webinar 7: Shipping Course Projects (March 3, 2026)"
    ids = [b["custom_id"] for row in body["components"] for b in row["components"]]
    assert [i.split(":")[:3] for i in ids[:2]] == [["qa", "vote", "up"], ["qa", "vote", "down"]]
    assert ids[2].startswith("qa:other:")
    [logged] = await qabot.store.questions(EPOCH, FUTURE)
    assert (
        logged.record.entry_id == "webinars/07-shipping-projects#how-do-i-get-the-webinar-recording"
    )
    assert (logged.record.platform, logged.record.channel) == ("discord", str(CHANNEL_ID))
    assert logged.record.workspace == str(GUILD_ID)


async def test_everyone_in_an_answer_pings_nobody(client: QAClient, fake: FakeDiscord) -> None:
    await mention(fake, "where do I announce my finished project?")
    [reply] = await fake.wait_for("POST", MESSAGES)
    assert "@everyone" in reply.json["embeds"][0]["description"]
    assert "<@&555555555555555555>" in reply.json["embeds"][0]["description"]
    assert reply.json["allowed_mentions"] == NO_PINGS  # Discord pings only what is allowed


async def test_only_a_mention_of_the_bot_itself_from_a_human_is_answered(
    client: QAClient, fake: FakeDiscord
) -> None:
    everyone = message(fake.next_id(), content="@everyone recording?", mention_everyone=True)
    role = message(fake.next_id(), content="<@&77> recording?", mention_roles=["77"])
    plain = message(fake.next_id(), content="how do I get the webinar recording?")
    other_bot = message(
        fake.next_id(),
        content=f"<@{BOT_ID}> recording?",
        author=user(5, "otherbot", bot=True),
        mentions=[BOT_USER],
    )
    for ignored in (everyone, role, plain, other_bot):
        await fake.dispatch("MESSAGE_CREATE", ignored)
    answered = await mention(fake, "how do I get the webinar recording?")
    [reply] = await fake.wait_for("POST", MESSAGES)
    assert reply.json["message_reference"]["message_id"] == int(answered["id"])
    assert len(fake.find("POST", MESSAGES)) == 1


async def test_bare_mention_gets_help_and_a_miss_gets_suggestion_buttons(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    await mention(fake, "")
    [help_reply] = await fake.wait_for("POST", MESSAGES)
    assert "/ask" in help_reply.json["content"] and "@CourseBot" in help_reply.json["content"]

    question, expected = a_miss(qabot)
    await mention(fake, question)
    _, miss = await fake.wait_for("POST", MESSAGES, count=2)
    assert "Did you mean" in miss.json["content"]
    labels = [b["label"] for row in miss.json["components"] for b in row["components"]]
    source = "Webinar 7: Shipping Course Projects"
    assert labels == [f"{c.entry.question} · {source}" for c in expected.suggestions]
    assert miss.json["allowed_mentions"] == NO_PINGS


async def test_mention_cooldown_sends_one_friendly_note_then_recovers(
    client: QAClient, fake: FakeDiscord, clock: Clock
) -> None:
    # DISCORD_MENTION_COOLDOWN=3/60 in the test environment.
    for _ in range(3):
        await mention(fake, "how do I get the webinar recording?")
    await fake.wait_for("POST", MESSAGES, count=3)
    await mention(fake, "how do I get the webinar recording?")
    note = (await fake.wait_for("POST", MESSAGES, count=4))[3]
    assert "Give me 60 seconds" in note.json["content"]
    assert note.json["allowed_mentions"] == NO_PINGS
    silent = await mention(fake, "how do I get the webinar recording?")  # told already: no reply
    await mention(
        fake, "how do I get the webinar recording?", author=user(301, "bob")
    )  # others may ask
    await fake.wait_for("POST", MESSAGES, count=5)
    clock.seconds += 61
    last = await mention(fake, "how do I get the webinar recording?")
    replies = await fake.wait_for("POST", MESSAGES, count=6)
    assert replies[5].json["message_reference"]["message_id"] == int(last["id"])
    assert replies[5].json["embeds"]
    references = [r.json["message_reference"]["message_id"] for r in fake.find("POST", MESSAGES)]
    assert int(silent["id"]) not in references and len(references) == 6


async def test_a_failing_reply_is_logged_and_the_bot_keeps_answering(
    client: QAClient, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("POST", MESSAGES, 403)  # e.g. no Send Messages permission in the channel
    with caplog.at_level(logging.ERROR, logger="adapters.discord.client"):
        await mention(fake, "how do I get the webinar recording?")
        failed, apology = await fake.wait_for("POST", MESSAGES, count=2)
    assert failed.json["embeds"] and apology.json["content"] == SORRY
    assert "answering mention" in caplog.text
    await mention(fake, "how do I submit my homework?")
    third = (await fake.wait_for("POST", MESSAGES, count=3))[2]
    assert third.json["embeds"][0]["title"] == "How do I submit my homework?"


async def test_a_long_answer_is_cut_at_a_sentence_with_a_link_to_the_rest(
    client: QAClient, fake: FakeDiscord
) -> None:
    await mention(fake, "what does the full syllabus cover week by week?")
    [reply] = await fake.wait_for("POST", MESSAGES)
    [embed] = reply.json["embeds"]
    description = embed["description"]
    assert len(description) <= 4096
    body, _, link = description.rpartition("\n\n")
    assert 600 <= len(body) <= 900  # a readable first part, cut after a whole sentence
    assert body.endswith("quiz. …") and link.startswith("[Read the full answer](https://")
    total = len(embed["title"]) + len(description) + len(embed["footer"]["text"])
    assert total <= 6000


async def test_a_refused_command_sync_is_logged_and_mentions_still_work(
    connect: Connect, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("PUT", rf"/applications/{APP_ID}/commands", 403)  # no applications.commands
    with caplog.at_level(logging.ERROR, logger="adapters.discord.client"):
        await connect()
    assert "applications.commands" in caplog.text
    await mention(fake, "how do I get the webinar recording?")
    [reply] = await fake.wait_for("POST", MESSAGES)
    assert reply.json["embeds"]


async def test_a_bot_that_never_joins_voice_logs_no_voice_warning(
    connect: Connect, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)  # as in a fresh process
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.INFO, logger="discord"):
        await connect()
    assert "voice will NOT be supported" not in caplog.text
