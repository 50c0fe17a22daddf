"""SIGTERM with answers in flight, against real ``qabot`` worker processes and the fakes.

Each platform holds the bot's posts for a moment; SIGTERM arrives meanwhile. Every answer in
flight must still go out, every question must be in the log, new events are turned away, and
the process exits 0: Slack over HTTP, Slack Socket Mode, and Discord.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from fake_discord import BOT_ID, BOT_USER, CHANNEL_ID, TOKEN, FakeDiscord, message
from fake_slack import TEAM, FakeSlack
from slack_side import KNOWLEDGE, SECRET, SlackSide, mention

from tests.support.living_knowledge import QabotProcess, eventually, free_port

QUESTIONS = (
    "How do I get the webinar recording?",
    "Which Python version should I install for the homework?",
    "How are homework submissions graded?",
)
EXIT_WITHIN = 20.0  # the drain is bounded at 15 s; here the posts are held for about 1 s
DISCORD_MESSAGES = rf"/channels/{CHANNEL_ID}/messages"


def worker_env(tmp_path: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KNOWLEDGE", "CHANNEL_", "EMBEDDING", "SLACK_", "DISCORD_"))
    }
    return {
        **keep,
        "KNOWLEDGE_DIR": str(KNOWLEDGE / "webinars"),
        "KNOWLEDGE_REFRESH": "0",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'qa.db'}",
        "USER_ID_SALT": "test-salt",
        "EMBEDDING_MODEL": "word-vectors",
        "LOG_LEVEL": "INFO",
    }


def logged_questions(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "data" / "qa.db") as db:
        return sorted(row[0] for row in db.execute("SELECT question FROM question_log"))


async def until(condition: Callable[[], object], within: float = 10.0) -> None:
    async def check() -> bool | None:
        return True if condition() else None

    await eventually(check, within, pause=0.02)


async def terminate_while_held(
    worker: QabotProcess, release: Callable[[], None], still_taking: Callable[[], Awaitable[None]]
) -> int:
    """SIGTERM, a moment later the platform lets the held posts through; the exit status."""
    assert worker.process is not None
    worker.process.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    await worker.wait_for_log("finishing 3 answer(s) in flight")
    await still_taking()
    await asyncio.sleep(1.0)  # the platform keeps the posts a moment longer
    release()
    released = time.monotonic()
    async with asyncio.timeout(EXIT_WITHIN):
        status = await worker.process.wait()
    print(  # the figures, with pytest -s
        f"{' '.join(worker.args)}: posts held {released - sent:.2f} s after SIGTERM, "
        f"exit {status} {time.monotonic() - sent:.2f} s after SIGTERM"
    )
    return status


def assert_clean(worker: QabotProcess, status: int) -> None:
    output = worker.output()
    assert status == 0, output
    assert "Traceback" not in output and "still in flight" not in output, output


async def test_slack_http_finishes_answers_in_flight_on_sigterm(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    gate = fake.hold("chat.postMessage")
    port = free_port()
    env = {
        **worker_env(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": str(port),
    }
    worker = QabotProcess(["slack", "--http"], env, tmp_path / "slack.log")
    await worker.start()
    try:
        await worker.wait_for_log("slack worker started")
        async with aiohttp.ClientSession() as http:
            slack = SlackSide(http, f"http://127.0.0.1:{port}/slack/events", fake)
            for n, question in enumerate(QUESTIONS):
                event = mention(f"<@UBOT> {question}", ts=f"1700000000.00010{n}")
                assert (await slack.event(event, event_id=f"EvT{n}")).status == 200
            await until(lambda: fake.attempts("chat.postMessage") == 3)

            async def refuses_new_events() -> None:
                late = await slack.event(mention("<@UBOT> one more?", ts="2.0"), event_id="EvL")
                assert late.status == 503  # Slack retries it: the next process answers

            status = await terminate_while_held(worker, gate.set, refuses_new_events)
    finally:
        await worker.stop()
        await fake.close()

    assert_clean(worker, status)
    assert len(fake.of("chat.postMessage")) == 3
    assert logged_questions(tmp_path) == sorted(QUESTIONS)


async def test_slack_socket_mode_finishes_answers_in_flight_on_sigterm(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    gate = fake.hold("chat.postMessage")
    env = {
        **worker_env(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-1-test",
        "SLACK_API_URL": fake.api_url,
    }
    worker = QabotProcess(["slack"], env, tmp_path / "socket.log")
    await worker.start()
    try:
        await worker.wait_for_log("slack worker started")
        await until(lambda: fake.connected)
        for n, question in enumerate(QUESTIONS):
            event = {
                "type": "event_callback",
                "team_id": TEAM,
                "event_id": f"EvS{n}",
                "event": mention(f"<@UBOT> {question}", ts=f"1700000000.00020{n}"),
            }
            envelope = {"envelope_id": f"e{n}", "type": "events_api", "payload": event}
            await fake.push({**envelope, "accepts_response_payload": False, "retry_attempt": 0})
        await until(lambda: fake.attempts("chat.postMessage") == 3)

        async def disconnected() -> None:
            await until(lambda: not fake.connected)  # Slack sends new events elsewhere

        status = await terminate_while_held(worker, gate.set, disconnected)
    finally:
        await worker.stop()
        await fake.close()

    assert_clean(worker, status)
    assert len(fake.of("chat.postMessage")) == 3
    assert logged_questions(tmp_path) == sorted(QUESTIONS)


async def test_discord_survives_malformed_events_and_finishes_answers_on_sigterm(
    tmp_path: Path,
) -> None:
    fake = await FakeDiscord().start()
    env = {
        **worker_env(tmp_path),
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    worker = QabotProcess(["discord"], env, tmp_path / "discord.log")
    await worker.start()
    try:
        await worker.wait_for_log("discord worker started")
        await fake.wait_connected()
        no_author = message(fake.next_id(), content=f"<@{BOT_ID}> hi", mentions=[BOT_USER])
        del no_author["author"]
        await fake.dispatch("MESSAGE_CREATE", no_author)
        await fake.dispatch("MESSAGE_CREATE", {**no_author, "author": BOT_USER, "id": "x1"})
        await fake.send_raw("not JSON {")
        await worker.wait_for_log("(not JSON)")
        assert worker.running

        gate = fake.hold("POST", DISCORD_MESSAGES)
        for question in QUESTIONS:
            payload = message(
                fake.next_id(), content=f"<@{BOT_ID}> {question}", mentions=[BOT_USER]
            )
            await fake.dispatch("MESSAGE_CREATE", payload)
        # discord.py sends one request at a time per route until Discord's rate-limit headers
        # say more: the other two answers wait behind the held one.
        await fake.wait_for("POST", DISCORD_MESSAGES, count=1)

        async def ignores_new_messages() -> None:
            late = message(fake.next_id(), content=f"<@{BOT_ID}> one more?", mentions=[BOT_USER])
            await fake.dispatch("MESSAGE_CREATE", late)

        status = await terminate_while_held(worker, gate.set, ignores_new_messages)
    finally:
        await worker.stop()
        await fake.close()

    assert_clean(worker, status)
    titles = [m["embeds"][0]["title"] for m in fake.messages.values() if m.get("embeds")]
    assert sorted(titles) == sorted(QUESTIONS)
    assert logged_questions(tmp_path) == sorted(QUESTIONS)
    assert worker.output().count("skipped a malformed Discord gateway event") == 3
