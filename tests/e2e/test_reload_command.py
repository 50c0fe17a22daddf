"""``qabot reload`` and SIGHUP reach the running workers: real ``qabot slack --http`` and
``qabot discord`` processes, sharing one DATA_DIR as they do on one host, against the fakes.

Their git source is never fetched on a timer (KNOWLEDGE_REFRESH=0), so only the signal can
bring what was pushed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from discord_member import DiscordMember
from fake_discord import TOKEN, FakeDiscord
from slack_member import RecordingSlack, SlackMember, slack_text
from slack_side import SECRET

from bot.cli import main
from tests.support.living_knowledge import (
    QabotProcess,
    Remote,
    Timings,
    eventually,
    free_port,
    page,
    qabot_command,
    write,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]

TIMINGS = Timings("qabot reload and SIGHUP")


def base_env(root: Path, sources: str) -> dict[str, str]:
    """The environment of a worker on this host; nothing of the test's own knowledge."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KNOWLEDGE", "CHANNEL_", "EMBEDDING", "SLACK_", "DISCORD_"))
    }
    return {
        **keep,
        "KNOWLEDGE_DIR": sources,
        "KNOWLEDGE_REFRESH": "0",
        "DATA_DIR": str(root / "data"),
        "DATABASE_URL": f"sqlite:///{root / 'data' / 'qa.db'}",
        "USER_ID_SALT": "test-salt",
        "EMBEDDING_MODEL": "word-vectors",
        "LOG_LEVEL": "INFO",
    }


@dataclass
class Host:
    root: Path
    remote: Remote
    env: dict[str, str]
    slack: SlackMember
    discord: DiscordMember
    slack_worker: QabotProcess
    discord_worker: QabotProcess

    async def answered_on_both(self, question: str, text: str, within: float) -> float:
        async def slack() -> str | None:
            seen = slack_text(await self.slack.ask(question))
            return seen if text in seen else None

        async def discord() -> str | None:
            seen = await self.discord.ask(question)
            return seen if text in seen else None

        _, on_slack = await eventually(slack, within)
        _, on_discord = await eventually(discord, within)
        return max(on_slack, on_discord)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def host(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Host]:
    tmp_path = tmp_path_factory.mktemp("host")
    remote = Remote(tmp_path / "remote")
    remote.push("talks/01-first.md", page(1, "First", ("Is the first talk online?", "Yes.")))
    talks = write(
        tmp_path / "talks" / "07-shipping.md",
        page(7, "Shipping", ("Where do I find the recording?", "On the course page.")),
    ).parent
    env = base_env(tmp_path, f"{talks}, {remote.url}")
    fake_slack = await RecordingSlack().start()
    fake_discord = await FakeDiscord().start()
    port = free_port()
    slack_env = {
        **env,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "PORT": str(port),
    }
    discord_env = {
        **env,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake_discord.api_url,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
    }
    slack_worker = QabotProcess(["slack", "--http"], slack_env, tmp_path / "slack.log")
    discord_worker = QabotProcess(["discord"], discord_env, tmp_path / "discord.log")
    await slack_worker.start()
    await discord_worker.start()
    try:
        async with aiohttp.ClientSession() as http:
            await slack_worker.wait_for_log("slack worker started")
            await discord_worker.wait_for_log("discord worker started")
            await fake_discord.wait_connected()
            yield Host(
                tmp_path,
                remote,
                env,
                SlackMember(http, f"http://127.0.0.1:{port}/slack/events", fake_slack),
                DiscordMember(fake_discord),
                slack_worker,
                discord_worker,
            )
    finally:
        for worker in (slack_worker, discord_worker):
            await worker.stop()
        await fake_slack.close()
        await fake_discord.close()
        print(TIMINGS.report())


async def test_qabot_reload_signals_every_running_worker(host: Host) -> None:
    assert "Yes." in slack_text(await host.slack.ask("is the first talk online?"))
    host.remote.push(
        "talks/02-second.md", page(2, "Second", ("Who hosts the second talk?", "Dana hosts it."))
    )

    started = time.monotonic()
    status, out = await qabot_command(host.env, "reload")

    assert status == 0, out
    assert "signalled 2 worker(s) to reload" in out
    assert f"discord-{host.discord_worker.pid}" in out and f"slack-{host.slack_worker.pid}" in out
    await host.answered_on_both("who hosts the second talk?", "Dana hosts it", 10)
    seconds = time.monotonic() - started
    TIMINGS.add("qabot reload (the command's run included), answered on both", seconds, 10)
    for worker in (host.slack_worker, host.discord_worker):
        await worker.wait_for_log("reloaded the knowledge (SIGHUP): ")
        assert "failed" not in worker.output()  # one copy, fetched by each in turn


async def test_sighup_reloads_a_worker(host: Host) -> None:
    host.remote.push(
        "talks/03-third.md", page(3, "Third", ("Is there a third talk?", "Yes, in June."))
    )

    os.kill(host.slack_worker.pid, signal.SIGHUP)

    async def answered() -> str | None:
        seen = slack_text(await host.slack.ask("is there a third talk?"))
        return seen if "in June" in seen else None

    _, seconds = await eventually(answered, 10)
    TIMINGS.add("kill -HUP, then answered on Slack", seconds, 10)
    # The Discord worker was not signalled: it answers from what it had.
    assert "in June" not in await host.discord.ask("is there a third talk?")
    os.kill(host.discord_worker.pid, signal.SIGHUP)
    await host.answered_on_both("is there a third talk?", "in June", 10)


async def test_qabot_reload_says_when_no_worker_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert main(["reload"]) == 1
    assert "no running workers found" in capsys.readouterr().out


async def test_a_hangup_while_a_worker_starts_does_not_end_it(tmp_path: Path) -> None:
    talks = write(
        tmp_path / "talks" / "07-shipping.md",
        page(7, "Shipping", ("Where do I find the recording?", "On the course page.")),
    ).parent
    fake = await RecordingSlack().start()
    gate = fake.hold("auth.test")  # the worker waits, mid-start, for Slack to know its token
    port = free_port()
    env = {
        **base_env(tmp_path, str(talks)),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": str(port),
    }
    starting = QabotProcess(["slack", "--http"], env, tmp_path / "slack.log")
    await starting.start()
    try:

        async def connecting() -> bool | None:
            return True if fake.attempts("auth.test") else None

        await eventually(connecting, 30)
        os.kill(starting.pid, signal.SIGHUP)  # systemctl reload, a moment too early
        await asyncio.sleep(0.3)
        assert starting.running, starting.output()
        gate.set()
        await starting.wait_for_log("slack worker started")
        async with aiohttp.ClientSession() as http:
            member = SlackMember(http, f"http://127.0.0.1:{port}/slack/events", fake)
            assert "On the course page" in slack_text(await member.ask("where is the recording?"))
    finally:
        await starting.stop()
        await fake.close()
