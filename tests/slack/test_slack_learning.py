"""The feedback loop on Slack, end to end: members pick a suggestion after a miss through the
real bolt app, the host accepts the proposal, and the same wording is then answered with that
entry, after a reload and after a restart. On SQLite and on the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from fake_slack import FakeSlack, wait_for
from slack_side import SECRET, SlackSide, buttons, environ
from sqlalchemy import select

from adapters.slack.app import build_app
from adapters.slack.run import build_web_app
from adapters.slack.settings import load_settings as load_slack_settings
from bot.service import QABot
from bot.store.alias_store import AliasStore
from bot.store.schema import picks
from tests.store.conftest import db  # noqa: F401  (SQLite and PostgreSQL)
from tests.store.support import Database

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
MISSED = "can I hand it in late"
LATE = "Can I submit the homework after the deadline?"

Serve = Callable[[], Awaitable[tuple[QABot, SlackSide]]]


@pytest.fixture
async def serve(
    db: Database,  # noqa: F811
    tmp_path: Path,
    fake: FakeSlack,
) -> AsyncIterator[Serve]:
    """Start a worker (a QABot and the bolt app over HTTP) on the test's database."""
    http = aiohttp.ClientSession()
    started: list[tuple[QABot, TestServer]] = []

    async def start() -> tuple[QABot, SlackSide]:
        core, settings = load_slack_settings(environ(tmp_path, fake), mode="http")
        bot = await QABot.start(core, store=db.store())
        server = TestServer(
            build_web_app(build_app(bot, settings), SECRET, bot.in_flight), host="127.0.0.1"
        )
        await server.start_server()
        started.append((bot, server))
        return bot, SlackSide(http, str(server.make_url("/slack/events")), fake)

    yield start
    await http.close()
    for bot, server in started:
        await server.close()
        await bot.close()


async def ask(slack: SlackSide, fake: FakeSlack, user: str) -> dict[str, Any]:
    before = len(fake.of("response_url"))
    await slack.command("/ask", MISSED, user=user)
    await wait_for(lambda: len(fake.of("response_url")) > before)
    reply: dict[str, Any] = fake.of("response_url")[-1]
    return reply


async def click(
    slack: SlackSide, fake: FakeSlack, button: dict[str, Any], user: str
) -> dict[str, Any]:
    before = len(fake.of("response_url"))
    await slack.click(button, user=user)
    await wait_for(lambda: len(fake.of("response_url")) > before)
    reply: dict[str, Any] = fake.of("response_url")[-1]
    return reply


async def test_picks_after_a_miss_become_an_alias_the_host_accepts(
    serve: Serve, fake: FakeSlack
) -> None:
    bot, slack = await serve()
    for member in ("U1", "U3", "U3"):  # two members; one clicks twice
        missed = await ask(slack, fake, member)
        assert "couldn't find a confident answer" in str(missed["text"])
        [late] = [b for b in buttons(missed) if b["text"]["text"].startswith(LATE[:30])]
        chosen = await click(slack, fake, late, member)
        assert chosen["blocks"][1]["text"]["text"] == LATE
    assert await bot.flush(5.0)

    aliases = AliasStore(bot.store.engine)
    [proposal] = await aliases.proposals()
    assert (proposal.wording, proposal.members) == (MISSED, 2)
    assert proposal.entry_id == bot.knowledge.entries[4].id

    await aliases.decide(proposal.id, "accepted", bot.clock())
    await bot.reload("qabot learn accept", fetch=False)  # what SIGHUP does in a worker

    answered = await ask(slack, fake, "U5")
    assert answered["response_type"] == "in_channel"
    assert answered["blocks"][1]["text"]["text"] == LATE

    restarted, slack_again = await serve()  # a new worker, as after a restart
    again = await ask(slack_again, fake, "U6")
    assert again["blocks"][1]["text"]["text"] == LATE
    assert restarted.knowledge.get(proposal.entry_id) is not None


async def test_a_thumbs_down_offers_the_runners_up_and_a_pick_corrects_the_answer(
    serve: Serve, fake: FakeSlack
) -> None:
    bot, slack = await serve()
    asked = "How are homework submissions graded?"
    await slack.command("/ask", asked, user="U1")
    await wait_for(lambda: fake.of("response_url"))
    [answer] = fake.of("response_url")
    _, down, _ = buttons(answer)

    offered = await click(slack, fake, down, "U1")

    assert offered["response_type"] == "ephemeral"
    assert offered["text"].startswith("Thanks for the feedback!")
    [late] = [b for b in buttons(offered) if b["text"]["text"].startswith(LATE[:30])]
    posted = await click(slack, fake, late, "U1")
    assert posted["response_type"] == "in_channel"
    assert posted["blocks"][1]["text"]["text"] == LATE
    assert await bot.flush(5.0)
    [logged] = await bot.store.questions(EPOCH, FUTURE)
    assert await bot.store.votes(logged.id) == {"up": 0, "down": 1}
    async with bot.store.engine.connect() as conn:
        rows = (await conn.execute(select(picks))).mappings().all()
    assert [(r["via"], r["log_id"], r["question"]) for r in rows] == [
        ("correction", logged.id, asked)
    ]
    [proposal] = await AliasStore(bot.store.engine).proposals()
    assert (proposal.wording, proposal.entry_id) == (asked, rows[0]["entry_id"])
