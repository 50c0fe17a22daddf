"""The weekly host digest: what it says, and that it is posted exactly once per channel and
week by concurrent workers and after a restart, on the fake Slack and Discord, on SQLite and
the real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg
import discord.gateway
import discord.http
import pytest
from fake_discord import TOKEN, FakeDiscord
from fake_slack import FakeSlack, wait_for

from adapters.discord.connection import DiscordConnection
from adapters.discord.digest import digest_messages
from adapters.discord.settings import load_settings as load_discord_settings
from adapters.slack.app import make_client
from adapters.slack.digest import SlackDigestPoster
from adapters.slack.run import SlackConnection
from adapters.slack.settings import load_settings as load_slack_settings
from bot.cli import main
from bot.digest import as_text
from bot.digest_schedule import digest_scheduler
from bot.models import AskContext, NoAnswer
from bot.runtime import Connection, serve
from bot.service import QABot
from bot.settings import CoreSettings
from bot.store import schema
from bot.store.rows import utc
from tests.store.support import PG_URL, Clock, postgres_unavailable

KNOWLEDGE = Path(__file__).resolve().parents[1] / "slack" / "knowledge" / "webinars"
HOST = "CHOST"
DISCORD_HOST = 200000000000000055
ALWAYS_DUE = "mon 00:00 UTC"  # this week's slot is always in the past, whatever today is
THURSDAY = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)  # 2026-W48
MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # 2026-W49, after the 08:00 slot
PAY = ("how do I pay for the course", "How do I pay for the course?", "course pay how")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'qa.db'}"
        return
    reason = postgres_unavailable()
    if reason and os.environ.get("QABOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (QABOT_REQUIRE_POSTGRES=1)")
    if reason:
        pytest.skip(reason)
    name = f"qabot_digest_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(autouse=True)
def restore_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Discord client sets discord.py's endpoints process-wide; undo that per test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    gateway = discord.gateway.DiscordWebSocket
    monkeypatch.setattr(gateway, "DEFAULT_GATEWAY", gateway.DEFAULT_GATEWAY)


def core_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        "KNOWLEDGE_DIR": str(KNOWLEDGE),
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path),
        "USER_ID_SALT": "test-salt",
        "EMBEDDING_MODEL": "word-vectors",
        "DIGEST_SCHEDULE": ALWAYS_DUE,
    }


def digest_checks(caplog: pytest.LogCaptureFixture) -> int:
    """How many times a worker's scheduler decided about this week's digest."""
    return sum(
        1
        for r in caplog.records
        if r.name == "bot.digest_schedule"
        and ("digest for" in r.getMessage() or "posted the" in r.getMessage())
    )


async def seed_a_week(bot: QABot, clock: Clock) -> str:
    """Questions, 👎 and alias proposals as members leave them; returns the 👎'd entry."""

    async def ask(text: str, user: str) -> int | None:
        return (await bot.ask(text, AskContext("slack", "T1", "C1", user))).log_id

    clock.now = THURSDAY - dt.timedelta(days=7)  # the week before: all answered
    for user in ("U1", "U2"):
        await ask("How do I get the webinar recording?", user)
    clock.now = THURSDAY
    answered = await ask("How do I get the webinar recording?", "U1")
    for n, text in enumerate(PAY):
        assert isinstance(bot.matcher.ask(text), NoAnswer), f"{text!r} is answered now"
        await ask(text, f"U{n + 1}")
    await ask("what is the weather in Berlin tomorrow", "U1")
    assert answered is not None
    for user in ("U3", "U4"):
        await bot.vote(answered, AskContext("slack", "T1", "C1", user), "down")
    assert await bot.flush()
    entry = bot.matcher.ask("How do I get the webinar recording?")
    proposals, proposers = schema.alias_proposals, schema.alias_proposers
    async with bot.store.engine.begin() as conn:
        for pid, (wording, status, members) in enumerate(
            [
                ("where is the video", "pending", 2),
                ("lost recording", "pending", 1),
                ("old wording", "accepted", 3),
            ],
            start=1,
        ):
            await conn.execute(
                proposals.insert().values(
                    id=pid,
                    wording_key=f"k{pid}",
                    wording=wording,
                    entry_id=entry.entry.id if not isinstance(entry, NoAnswer) else "x",
                    status=status,
                    created_at=utc(THURSDAY),
                )
            )
            for m in range(members):
                await conn.execute(
                    proposers.insert().values(
                        proposal_id=pid, user_hash=f"h{m}", proposed_at=utc(THURSDAY)
                    )
                )
        await conn.execute(  # the third member also asked the mentors, from a thread
            schema.mentor_requests.insert().values(
                log_id=1,
                platform="slack",
                channel="C1",
                thread_ref="https://t/1",
                user_hash="h3",
                question=PAY[2],
                requested_at=utc(THURSDAY),
                notified_at=utc(THURSDAY),
            )
        )
    return entry.entry.question if not isinstance(entry, NoAnswer) else ""


async def test_the_digest_reports_the_week_once_with_drafts(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        **core_env(tmp_path, database_url),
        "DIGEST_SCHEDULE": "mon 08:00 UTC",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_HOST_DIGEST_CHANNEL": HOST,
    }
    fake = await FakeSlack().start()
    clock = Clock(THURSDAY)
    env["SLACK_API_URL"] = fake.api_url
    core, slack = load_slack_settings(env, mode="api")
    bot = await QABot.start(core, clock=clock)
    try:
        voted = await seed_a_week(bot, clock)
        clock.now = MONDAY
        poster = SlackDigestPoster(make_client(slack), slack.digest_channels)
        scheduler = digest_scheduler(bot, "slack", slack.digest_channels)
        [posted] = await scheduler.run_due(poster.post)
        assert await scheduler.run_due(poster.post) == []  # the same week: nothing more
        clock.now = MONDAY + dt.timedelta(days=7)
        [next_week] = await scheduler.run_due(poster.post)
    finally:
        await bot.close()
        await fake.close()

    assert (posted.week, next_week.week) == ("2026-W49", "2026-W50")
    first, second = fake.of("chat.postMessage")
    assert first["channel"] == HOST and second["channel"] == HOST
    text = as_text(posted.digest)
    assert "5 questions in the last 7 days; 1 answered (20%), ▼ 80 points from 100%" in text
    assert "“course pay how”: asked 3 times by 3 members, in 3 wordings" in text
    assert "**Sent to mentors (1)**\n- “course pay how” · [the conversation](https://t/1)" in text
    assert f"“{voted}”: 👎 from 2 members" in text
    assert "Alias proposals waiting (2)" in text and "“where is the video”" in text
    assert "(2 members; `qabot learn accept 1`)" in text and "old wording" not in text
    # The asker who went to the mentors leads the draft; the others' wordings come with it.
    assert "### Course pay how?\n\nTODO" in text
    assert "Asked as: “course pay how” · “How do I pay for the course?” · “how do" in text
    blocks = json.dumps(first["blocks"], ensure_ascii=False)
    assert "### Course pay how?" in blocks and "Top unanswered questions" in blocks
    assert all(len(m) <= 2000 for m in digest_messages(posted.digest))  # Discord's limit

    for key in ("DATABASE_URL", "KNOWLEDGE_DIR", "USER_ID_SALT", "EMBEDDING_MODEL"):
        monkeypatch.setenv(key, env[key])
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["digest", "preview"]) == 0
    preview = capsys.readouterr().out
    assert preview.startswith("**📋 Weekly digest for the host")  # the 7 days up to now


async def test_two_slack_workers_and_a_restart_post_the_digest_once(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.runtime")
    caplog.set_level(logging.DEBUG, logger="bot.digest_schedule")  # last: the handler's level
    fake = await FakeSlack().start()
    env = {
        **core_env(tmp_path, database_url),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-1-test",
        "SLACK_API_URL": fake.api_url,
        "SLACK_HOST_DIGEST_CHANNEL": HOST,
    }
    core, settings = load_slack_settings(env, mode="socket")
    try:
        await run_workers(caplog, [SlackConnection(settings, http=False) for _ in range(2)], core)
        await run_workers(caplog, [SlackConnection(settings, http=False)], core)  # a restart
    finally:
        await fake.close()
    started = [r.getMessage() for r in caplog.records if "worker started" in r.getMessage()]
    assert len(started) == 3 and started[0].endswith(f"; host digest: {HOST} (mon 00:00 UTC)")
    posts = [m for m in fake.of("chat.postMessage") if m["channel"] == HOST]
    assert len(posts) == 1 and posts[0]["text"].startswith("📋 Weekly digest for the host")


async def test_two_discord_workers_and_a_restart_post_the_digest_once(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.digest_schedule")
    fake = await FakeDiscord().start()
    env = {
        **core_env(tmp_path, database_url),
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_HOST_DIGEST_CHANNEL": str(DISCORD_HOST),
    }
    core, settings = load_discord_settings(env)
    try:
        await run_workers(caplog, [DiscordConnection(settings) for _ in range(2)], core)
        await run_workers(caplog, [DiscordConnection(settings)], core)  # a restart
    finally:
        await fake.close()
    [post] = fake.find("POST", rf"/channels/{DISCORD_HOST}/messages")
    assert post.json["content"].startswith("**📋 Weekly digest for the host")
    assert post.json["allowed_mentions"] == {"parse": []}


async def run_workers(
    caplog: pytest.LogCaptureFixture, connections: Sequence[Connection], core: CoreSettings
) -> None:
    """Run workers at once until each has checked this week's digest, then stop them."""
    before = digest_checks(caplog)
    stop = asyncio.Event()
    workers = [asyncio.create_task(serve(core, c, stop=stop)) for c in connections]
    try:
        await wait_for(lambda: digest_checks(caplog) >= before + len(connections), within=20)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 10)
