"""The bot keeps answering when the database is down; metrics are served over HTTP."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.errors import StoreError
from bot.metrics import Metrics, metrics_routes, serve_metrics
from bot.models import Answer, AskContext
from bot.service import QABot
from bot.settings import load_core_settings
from bot.store import LATEST_VERSION, Store
from tests.store.support import Clock, Database

QUESTION = "How can a data engineer transition to become an AI engineer?"
CTX = AskContext("discord", workspace="G1", channel="C1", user="42")


async def test_ask_answers_at_once_when_the_database_is_unreachable(
    tmp_path: Path, clock: Clock
) -> None:
    settings = dataclasses.replace(
        load_core_settings({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"}),
        data_dir=tmp_path,
    )
    metrics = Metrics()
    bot = await QABot.start(settings, clock=clock, metrics=metrics)
    try:
        started = time.perf_counter()
        first = await bot.ask(QUESTION, CTX)
        second = await bot.ask(QUESTION, CTX)
        elapsed = time.perf_counter() - started

        assert isinstance(first.result, Answer) and isinstance(second.result, Answer)
        # Rows wait in the queue, so the answers carry their log ids and take votes.
        assert first.log_id is not None and second.log_id is not None
        assert elapsed < 1.0
        assert await bot.vote(first.log_id, CTX, "up")
        assert await bot.claim_event("discord", "m1")
        assert not await bot.claim_event("discord", "m1")  # a retry, never answered twice
        assert bot.writer.pending == 4 and metrics.health().database == "down"
        errors = metrics.registry.get_sample_value("qabot_errors_total", {"kind": "db_connect"})
        assert errors == 1
        answered = {"platform": "discord", "outcome": "answered"}
        assert metrics.registry.get_sample_value("qabot_questions_total", answered) == 2
    finally:
        await bot.close(within=0.2)
    dropped = {"kind": "question"}
    assert metrics.registry.get_sample_value("qabot_log_dropped_total", dropped) == 2


async def test_start_refuses_a_database_from_a_newer_qabot(db: Database, store: Store) -> None:
    async with store.engine.begin() as conn:
        newer = f"{LATEST_VERSION + 1:04d}"
        await conn.execute(text(f"UPDATE alembic_version SET version_num = '{newer}'"))

    with pytest.raises(StoreError, match="only knows versions up to"):
        await QABot.start(db.settings(), store=db.store(), metrics=Metrics())


async def test_metrics_route_shows_questions_latency_feedback_and_errors(
    db: Database, clock: Clock
) -> None:
    metrics = Metrics()
    bot = await QABot.start(db.settings(), clock=clock, store=db.store(), metrics=metrics)
    asked = await bot.ask(QUESTION, CTX)
    await bot.ask("quantum knitting patterns for goats", CTX)
    assert asked.log_id is not None
    await bot.vote(asked.log_id, CTX, "down")
    assert await bot.flush()
    app = web.Application()
    app.add_routes(metrics_routes(metrics))

    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics")
        text = await response.text()
        health = await client.get("/healthz")
        health_body = await health.json()

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert 'qabot_questions_total{outcome="answered",platform="discord"} 1.0' in text
    assert 'qabot_questions_total{outcome="abstained",platform="discord"} 1.0' in text
    assert 'qabot_answer_latency_seconds_count{platform="discord"} 2.0' in text
    assert 'qabot_feedback_total{vote="down"} 1.0' in text
    assert "# TYPE qabot_tips_posted_total counter" in text
    assert "# TYPE qabot_errors_total counter" in text
    assert "qabot_database_up 1.0" in text and "qabot_log_queue_rows 0.0" in text
    assert "# TYPE qabot_log_dropped_total counter" in text
    assert health.status == 200
    assert health_body == {
        "status": "ok",
        "database": "ok",
        "log_queue": 0,
        "log_dropped": 0,
        "matching": "word-vectors",
    }


async def test_serve_metrics_runs_a_standalone_server() -> None:
    metrics = Metrics()
    metrics.tips_posted.labels(platform="slack").inc()
    runner = await serve_metrics(0, host="127.0.0.1", metrics=metrics)
    try:
        host, port = runner.addresses[0][:2]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{host}:{port}/metrics") as response,
        ):
            text = await response.text()
    finally:
        await runner.cleanup()

    assert 'qabot_tips_posted_total{platform="slack"} 1.0' in text


def test_metrics_registries_are_private_to_each_instance() -> None:
    first, second = Metrics(), Metrics()
    first.errors.labels(kind="db_log").inc()

    assert second.registry.get_sample_value("qabot_errors_total", {"kind": "db_log"}) is None


async def test_warns_when_state_would_live_on_a_disk_the_host_wipes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On a Heroku-style dyno without DATABASE_URL, the operator is told state will be lost."""
    settings = load_core_settings({"DYNO": "discord.1", "DATA_DIR": str(tmp_path)})
    assert settings.ephemeral_disk and settings.database_url is None
    bot = await QABot.start(settings)
    await bot.close()
    assert any("DATABASE_URL is not set" in r.message for r in caplog.records)
