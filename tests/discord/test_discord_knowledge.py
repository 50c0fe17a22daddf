"""Living knowledge, end to end, against the running Discord worker and the fake Discord.

One worker (the runtime's ``worker``: the real discord.py client on the fake gateway) runs for
the whole module, with three sources: a folder of talks, a two-course FAQ and a git
repository. Tests edit the folder and push to the repository while it runs, and ask in
channels tied to a course (CHANNEL_KNOWLEDGE) and in others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import pytest
import pytest_asyncio
from discord_member import DiscordMember, interaction
from fake_discord import CHANNEL_ID, TOKEN, FakeDiscord, click, custom_ids

from adapters.discord.connection import DiscordConnection
from adapters.discord.settings import load_settings as load_discord_settings
from bot.runtime import Worker, worker
from tests.support.living_knowledge import (
    ML_ONLY_QUESTION,
    Remote,
    Timings,
    eventually,
    page,
    write,
    write_courses,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]

REFRESH = 2.0  # KNOWLEDGE_REFRESH of the module's worker, seconds
DE, ML, ELSEWHERE = 200000000000000011, 200000000000000012, CHANNEL_ID
DE_LABEL, ML_LABEL = "Data Engineering Zoomcamp › General", "Machine Learning Zoomcamp › General"
TIMINGS = Timings("Discord worker")


@dataclass
class World:
    talks: Path
    remote: Remote
    fake: FakeDiscord
    member: DiscordMember
    running: Worker

    async def until_answered(
        self, question: str, text: str, within: float, channel: int = ELSEWHERE
    ) -> tuple[dict[str, Any], float]:
        async def attempt() -> dict[str, Any] | None:
            reply = json.loads(await self.member.ask(question, channel))
            return reply if text in json.dumps(reply, ensure_ascii=False) else None

        return await eventually(attempt, within)

    async def ask(self, question: str, channel: int = ELSEWHERE) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(await self.member.ask(question, channel))
        return reply


def embed_of(reply: dict[str, Any]) -> dict[str, Any]:
    [embed] = reply["embeds"]
    found: dict[str, Any] = embed
    return found


def button_labels(reply: dict[str, Any]) -> list[str]:
    return [b["label"] for row in reply.get("components", []) for b in row["components"]]


@contextlib.asynccontextmanager
async def running_worker(env: dict[str, str]) -> AsyncIterator[Worker]:
    """The runtime's worker in a task of its own (entered and left there), until the block ends."""
    core, settings = load_discord_settings(env)
    ready: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def run() -> None:
        connection = DiscordConnection(settings, guild_ready_timeout=0.05)
        async with worker(core, connection, stop=stop) as running:
            ready.set_result(running)
            await stop.wait()

    task = asyncio.create_task(run())
    done, _ = await asyncio.wait({task, ready}, timeout=30, return_when="FIRST_COMPLETED")
    if task in done:
        task.result()  # the start failed: raise why
    try:
        yield ready.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    root = tmp_path_factory.mktemp("discord-living")
    talks = root / "talks"
    write(
        talks / "07-shipping.md",
        page(7, "Shipping", ("Where do I find the recording?", "On the course page.")),
    )
    faq = write_courses(root / "faq")
    remote = Remote(root / "remote")
    remote.push("talks/01-first.md", page(1, "First", ("Is the first talk online?", "Yes.")))
    fake = await FakeDiscord().start()
    env = {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_TIP_CHANNELS": f"{DE}=mon 00:00 UTC",  # always due
        "KNOWLEDGE_DIR": f"{talks}, faq={faq};tips=on, {remote.url}",
        "KNOWLEDGE_REFRESH": str(REFRESH),
        "CHANNEL_KNOWLEDGE": f"{DE}=de-zoomcamp, {ML}=ml-zoomcamp",
        "DATABASE_URL": f"sqlite:///{root / 'bot.db'}",
        "DATA_DIR": str(root / "data"),
        "USER_ID_SALT": "test-salt",
        "EMBEDDING_MODEL": "word-vectors",  # one matching from start to end
    }
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with running_worker(env) as running:
            await fake.wait_connected()
            yield World(talks, remote, fake, DiscordMember(fake), running)
    finally:
        await fake.close()
        discord.http.Route.BASE = base  # the client sets them process-wide
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
        print(TIMINGS.report())


async def test_a_saved_file_is_answered_within_5_seconds_without_a_restart(world: World) -> None:
    write(
        world.talks / "08-cohort.md",
        page(8, "Cohort Eight", ("What is the secret handshake of cohort eight?", "Wave twice.")),
    )
    reply, seconds = await world.until_answered(
        "what is the secret handshake of cohort eight?", "Wave twice", within=5
    )
    TIMINGS.add("a new file in a folder source", seconds, 5)
    assert embed_of(reply)["footer"]["text"].startswith("Webinar 8: Cohort Eight")


async def test_a_pushed_file_is_answered_within_the_refresh_plus_10_seconds(world: World) -> None:
    world.remote.push(
        "talks/03-pushed.md",
        page(3, "Pushed", ("Who runs the office hours on Thursday?", "Priya runs them.")),
    )
    reply, seconds = await world.until_answered(
        "who runs the office hours on thursday?", "Priya", within=REFRESH + 10
    )
    TIMINGS.add(
        f"a pushed file in a git source (KNOWLEDGE_REFRESH={REFRESH:.0f})", seconds, REFRESH + 10
    )
    assert embed_of(reply)["footer"]["text"].startswith("Webinar 3: Pushed")


async def test_a_course_channel_is_answered_from_its_course(world: World) -> None:
    de = embed_of(await world.ask("when is the homework deadline?", DE))
    ml = embed_of(await world.ask("when is the homework deadline?", ML))

    assert "Monday at 23:00" in de["description"] and de["footer"]["text"] == DE_LABEL
    assert "Friday at 18:00" in ml["description"] and ml["footer"]["text"] == ML_LABEL


async def test_another_channel_is_answered_from_everything(world: World) -> None:
    reply = await world.ask("when is the homework deadline?", ELSEWHERE)
    answered = list(world.fake.messages.values())[-1]

    # Both courses are in play: one answers, the other waits behind "Not what I asked".
    footer = embed_of(reply)["footer"]["text"]
    assert footer in (DE_LABEL, ML_LABEL)
    [other] = [i for i in custom_ids(answered) if i.startswith("qa:other:")]
    others = await world.member.respond(interaction(click(answered, other), ELSEWHERE), 5)
    other_course = "· Machine Learning" if footer == DE_LABEL else "· Data Engineering"
    assert any(
        "When is the homework deadline?" in label and other_course in label
        for label in button_labels(others)
    ), button_labels(others)
    only_ml = embed_of(await world.ask(ML_ONLY_QUESTION, ELSEWHERE))
    assert "bentoml containerize" in only_ml["description"]


async def test_another_course_is_only_offered_as_a_suggestion_with_its_label(
    world: World,
) -> None:
    reply = await world.ask(ML_ONLY_QUESTION, DE)

    assert not reply.get("embeds") and reply["flags"] == 64  # a miss, for the asker only
    assert "couldn't find a confident answer" in reply["content"]
    [offered] = [label for label in button_labels(reply) if "BentoML" in label]
    assert "· Machine Learning" in offered


async def test_autocomplete_lists_the_channel_course_first(world: World) -> None:
    in_de = await world.member.complete("homework deadline", DE)
    in_ml = await world.member.complete("homework deadline", ML)

    assert in_de[0]["name"].endswith("· Data Engineering Zoomcamp › General")
    assert in_ml[0]["name"].endswith("· Machine Learning Zoomcamp › General")
    assert {c["name"] for c in in_de} >= {in_ml[0]["name"]}  # the other course after it


async def test_the_weekly_tip_of_a_course_channel_is_drawn_from_its_course(world: World) -> None:
    [post] = await world.fake.wait_for("POST", rf"/channels/{DE}/messages")
    embed = post.json["embeds"][0]
    assert embed["author"]["name"] == "💡 Tip of the week"
    assert embed["title"] == "How should I plan my study week for the data engineering course?"
    assert embed["footer"]["text"] == DE_LABEL
