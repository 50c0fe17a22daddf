"""A weekly tip stays posted once when the process dies between the platform's accept and the
record: after the stale-claim window the restarted scheduler finds the message on the platform
(the fake Slack and fake Discord keep what was posted, as the real APIs do), records it, and
posts nothing. On SQLite and on the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import discord.gateway
import discord.http
import discord.utils
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.discord.settings import load_settings as load_discord_settings
from adapters.discord.tips import DiscordTipPoster
from adapters.slack.tips import SlackTipPoster
from bot.metrics import Metrics
from bot.models import Tip
from bot.schedule import parse_weekly_slot
from bot.settings import TipChannel
from bot.store import Store, TipLedger
from bot.tips import FindTip, PostTip, TipScheduler
from tests.discord import fake_discord
from tests.slack.fake_slack import FakeSlack
from tests.store.support import Clock, Database, Knowledge

MONDAY_9 = parse_weekly_slot("mon 09:00 Europe/Berlin")
SLACK_CHANNEL = TipChannel("C1", MONDAY_9)
DISCORD_CHANNEL = TipChannel(str(fake_discord.CHANNEL_ID), MONDAY_9)


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing in the scheduler catches it."""


def died_after_posting(post: PostTip) -> PostTip:
    async def post_then_die(tip: Tip) -> str | None:
        await post(tip)
        raise ProcessDied

    return post_then_die


def scheduler(
    store: Store, knowledge: Knowledge, clock: Clock, channel: TipChannel, platform: str
) -> TipScheduler:
    return TipScheduler(
        source=lambda _channel: knowledge,
        ledger=TipLedger(store.engine),
        platform=platform,
        channels=(channel,),
        clock=clock,
        metrics=Metrics(),
    )


async def crash_then_restart(
    db: Database,
    knowledge: Knowledge,
    clock: Clock,
    channel: TipChannel,
    platform: str,
    post: PostTip,
    find: FindTip,
) -> None:
    """Post and die before the record; restart inside, then after, the stale window."""
    first = scheduler(db.store(), knowledge, clock, channel, platform)
    with pytest.raises(ProcessDied):
        await first.run_due(died_after_posting(post), find)

    clock.advance(minutes=5)  # the claim is fresh: a restart leaves it alone
    assert (
        await scheduler(db.store(), knowledge, clock, channel, platform).run_due(post, find) == []
    )
    clock.advance(minutes=6)  # stale now: the restarted scheduler looks on the platform first
    assert (
        await scheduler(db.store(), knowledge, clock, channel, platform).run_due(post, find) == []
    )
    clock.advance(days=1)
    assert (
        await scheduler(db.store(), knowledge, clock, channel, platform).run_due(post, find) == []
    )


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.close()


async def test_slack_a_tip_posted_before_a_crash_is_recorded_not_posted_again(
    db: Database, store: Store, knowledge: Knowledge, clock: Clock, slack: FakeSlack
) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=f"{slack.api_url}/")
    poster = SlackTipPoster(client, (SLACK_CHANNEL,))

    await crash_then_restart(db, knowledge, clock, SLACK_CHANNEL, "slack", poster.post, poster.find)

    [posted] = slack.of("chat.postMessage")
    [message] = slack.history["C1"]
    assert message["metadata"]["event_type"] == "qabot_tip"
    assert message["metadata"]["event_payload"]["iso_week"] == "2026-W48"
    (record,) = await TipLedger(store.engine).records("slack", "C1")
    assert record.posted_at is not None and record.message_ref == message["ts"]
    assert posted["text"]  # the member saw one tip


async def test_slack_a_tip_not_yet_on_the_platform_is_posted_after_the_crash(
    db: Database, store: Store, knowledge: Knowledge, clock: Clock, slack: FakeSlack
) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=f"{slack.api_url}/")
    poster = SlackTipPoster(client, (SLACK_CHANNEL,))
    ledger = TipLedger(store.engine)
    # Died after claiming, before the post reached Slack.
    entry_id = knowledge.entries[0].id
    assert await ledger.claim(
        "slack", "C1", "2026-W48", entry_id, clock(), dt.timedelta(minutes=10)
    )
    # An older week's tip of the same channel is in the history: not this week's.
    await client.chat_postMessage(
        channel="C1",
        text="last week",
        metadata={
            "event_type": "qabot_tip",
            "event_payload": {"channel": "C1", "iso_week": "2026-W47"},
        },
    )

    clock.advance(minutes=11)
    posted = await scheduler(db.store(), knowledge, clock, SLACK_CHANNEL, "slack").run_due(
        poster.post, poster.find
    )

    assert [t.week for t in posted] == ["2026-W48"]
    assert len(slack.of("chat.postMessage")) == 2
    (record,) = await ledger.records("slack", "C1")
    assert record.message_ref == slack.history["C1"][-1]["ts"]


async def test_discord_a_tip_posted_before_a_crash_is_recorded_not_posted_again(
    db: Database,
    store: Store,
    knowledge: Knowledge,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # discord.py's endpoints are process-wide: restore them after the test.
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    gateway = discord.gateway.DiscordWebSocket
    monkeypatch.setattr(gateway, "DEFAULT_GATEWAY", gateway.DEFAULT_GATEWAY)
    # Message ids are snowflakes of the test's time, so "messages since the slot" means it.
    fake = await fake_discord.FakeDiscord(first_id=discord.utils.time_snowflake(clock())).start()
    env = {
        "DISCORD_TOKEN": fake_discord.TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "DATABASE_URL": db.url,
        "DATA_DIR": str(db.data_dir),
    }
    poster = DiscordTipPoster(load_discord_settings(env)[1])
    try:
        await crash_then_restart(
            db, knowledge, clock, DISCORD_CHANNEL, "discord", poster.post, poster.find
        )
    finally:
        await poster.aclose()
        await fake.close()

    [posted] = fake.find("POST", rf"/channels/{fake_discord.CHANNEL_ID}/messages")
    (record,) = await TipLedger(store.engine).records("discord", DISCORD_CHANNEL.channel)
    assert record.posted_at is not None
    assert record.message_ref is not None and int(record.message_ref) in fake.messages
    titles = {e.question for e in knowledge.entries}
    assert posted.json["embeds"][0]["title"] in titles
