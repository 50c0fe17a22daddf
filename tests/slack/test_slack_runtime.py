"""Runners and entry points: Socket Mode worker, weekly tips, `qabot slack` settings errors."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from fake_slack import TEAM, FakeSlack, wait_for
from slack_side import environ, mention

from adapters.slack import cli
from adapters.slack.app import build_app
from adapters.slack.run import SlackConnection
from adapters.slack.settings import SlackSettings
from adapters.slack.settings import load_settings as load_slack_settings
from bot.cli.tips import open_poster
from bot.errors import BotError, ConfigError
from bot.runtime import serve
from bot.service import QABot

MANIFEST = Path(cli.__file__).with_name("manifest.yaml")
ALWAYS_DUE = "mon 00:00 UTC"  # this week's slot is always in the past, whatever today is


async def test_socket_mode_worker_answers_commands_events_and_posts_tips(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    env = environ(tmp_path, fake, SLACK_APP_TOKEN="xapp-1-test", SLACK_TIP_CHANNELS="C9")
    env.pop("SLACK_SIGNING_SECRET")  # Socket Mode needs no signing secret
    env["TIP_SCHEDULE"] = ALWAYS_DUE
    core, settings = load_slack_settings(env, mode="socket")
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="bot.runtime")
    worker = asyncio.create_task(serve(core, SlackConnection(settings, http=False), stop=stop))
    try:
        await wait_for(lambda: fake.connected)
        command = {
            "command": "/ask",
            "text": "How do I get the webinar recording?",
            "team_id": TEAM,
            "channel_id": "C1",
            "user_id": "U1",
            "response_url": fake.response_url("s1"),
        }
        await fake.push(envelope("e1", "slash_commands", command))
        event = {
            "type": "event_callback",
            "team_id": TEAM,
            "event_id": "EvS",
            "event": mention("<@UBOT> how do I get the webinar recording?"),
        }
        await fake.push(envelope("e2", "events_api", event))
        await wait_for(lambda: {a.get("envelope_id") for a in fake.socket_acks} >= {"e1", "e2"})
        await wait_for(lambda: fake.of("response_url"))
        await wait_for(lambda: len(fake.of("chat.postMessage")) == 2)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 5)

    [opened] = [c for c in fake.calls if c.method == "apps.connections.open"]
    assert opened.headers["Authorization"] == "Bearer xapp-1-test"
    assert fake.of("response_url")[0]["response_type"] == "in_channel"
    by_channel = {p["channel"]: p for p in fake.of("chat.postMessage")}
    assert by_channel["C1"]["thread_ts"] == "1700000000.000100"
    assert by_channel["C9"]["text"].startswith("💡 Tip of the week")  # the worker's scheduler
    [started] = [r.getMessage() for r in caplog.records if "worker started" in r.getMessage()]
    assert started.startswith("slack worker started; matching: lexical + meaning")
    assert "store: sqlite " in started and "tip channels: C9 (mon 00:00 UTC)" in started


def envelope(envelope_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": kind,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": payload,
    }


async def test_tip_poster_posts_each_channel_once_a_week(
    tmp_path: Path, fake: FakeSlack, qabot: QABot
) -> None:
    env = environ(tmp_path, fake, SLACK_TIP_CHANNELS=f"C7, C8={ALWAYS_DUE}")
    env.pop("SLACK_SIGNING_SECRET")  # the Web API needs only the bot token
    env["TIP_SCHEDULE"] = ALWAYS_DUE
    poster = open_poster("slack", env)
    assert poster.platform == "slack" and [c.channel for c in poster.channels] == ["C7", "C8"]
    fake.fail("chat.postMessage", 429)  # rate limited once: waited out, not a failure
    scheduler = qabot.tip_scheduler("slack", poster.channels)
    posted = await scheduler.run_due(poster.post)
    assert await scheduler.run_due(poster.post) == []  # same week: nothing more
    await poster.aclose()

    assert [t.channel for t in posted] == ["C7", "C8"]
    messages = fake.of("chat.postMessage")
    assert [m["channel"] for m in messages] == ["C7", "C8"]
    blocks = json.dumps(messages[0]["blocks"], ensure_ascii=False)
    assert posted[0].entry.question.split("?")[0] in blocks and "Source:" in blocks


def test_tip_poster_reports_missing_settings() -> None:
    with pytest.raises(ConfigError) as error:
        open_poster("slack", {"SLACK_API_URL": "not a url"})
    assert any("SLACK_BOT_TOKEN" in p for p in error.value.problems)
    assert any("SLACK_API_URL" in p for p in error.value.problems)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qabot")
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_reports_every_problem_before_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "http")
    started = time.monotonic()
    with pytest.raises(ConfigError) as error:
        args = parse(["slack", "--http"])
        args.func(args)
    problems = " ".join(error.value.problems)
    assert "SLACK_BOT_TOKEN" in problems and "SLACK_SIGNING_SECRET" in problems
    assert "PORT" in problems and time.monotonic() - started < 1


def test_cli_without_app_token_suggests_http_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="qabot slack --http"):
        args = parse(["slack"])
        args.func(args)


async def test_http_mode_binds_the_port_and_refuses_unsigned_requests(
    tmp_path: Path, fake: FakeSlack, unused_tcp_port: int
) -> None:
    env = environ(tmp_path, fake, PORT=str(unused_tcp_port))
    core, settings = load_slack_settings(env, mode="http")
    stop = asyncio.Event()
    worker = asyncio.create_task(serve(core, SlackConnection(settings, http=True), stop=stop))
    base = f"http://127.0.0.1:{unused_tcp_port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_for_server(http, f"{base}/healthz")
            async with http.post(f"{base}/slack/events", data="command=/ask") as refused:
                assert refused.status == 401
    finally:
        stop.set()
        await asyncio.wait_for(worker, 5)


async def wait_for_server(http: Any, url: str, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while True:
        with contextlib.suppress(OSError):
            async with http.get(url) as response:
                if response.status == 200:
                    return
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not come up")
        await asyncio.sleep(0.02)


def test_manifest_declares_what_the_app_listens_to() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/ask", "/tip"}
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands"} <= scopes


async def test_a_refused_token_stops_the_worker_with_a_clear_message(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.refuse_token = True
    env = environ(tmp_path, fake, SLACK_APP_TOKEN="xapp-1-test")
    core, settings = load_slack_settings(env, mode="socket")
    with pytest.raises(BotError, match="Slack refused SLACK_BOT_TOKEN \\(invalid_auth\\)"):
        await serve(core, SlackConnection(settings, http=False), stop=asyncio.Event())
    assert not [c for c in fake.calls if c.method == "apps.connections.open"]


def test_the_app_logs_no_startup_noise(
    slack_settings: SlackSettings,
    qabot: QABot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_settings.bot_token)  # as in production
    with caplog.at_level(logging.DEBUG):
        app = build_app(qabot, slack_settings)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert app.client.base_url == slack_settings.api_url + "/"  # bolt's client, set up
