"""Prometheus metrics in a per-process registry, and the /metrics and /healthz HTTP routes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

DatabaseStatus = Literal["unknown", "ok", "down"]


@dataclass(frozen=True, slots=True)
class Health:
    """What ``/healthz`` reports: the database as the log writer last saw it, and its queue."""

    database: DatabaseStatus = "unknown"
    log_queue: int = 0  # rows waiting to be written
    log_dropped: int = 0  # rows dropped since start because the queue was full

    @property
    def status(self) -> Literal["ok", "degraded"]:
        return "degraded" if self.database == "down" else "ok"

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, **asdict(self)}


class Metrics:
    """The bot's counters and histograms, registered in a private registry (not the global one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.questions = Counter(
            "qabot_questions",
            "Questions asked, by platform and outcome (answered / abstained).",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "qabot_answer_latency_seconds",
            "Time to match a question and log it, in seconds.",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.feedback = Counter(
            "qabot_feedback",
            "Feedback votes received (then written), by vote.",
            ["vote"],
            registry=self.registry,
        )
        self.tips_posted = Counter(
            "qabot_tips_posted",
            "Weekly tips posted, by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.errors = Counter(
            "qabot_errors",
            "Errors handled without crashing, by kind (e.g. db_write, db_data, tip_post).",
            ["kind"],
            registry=self.registry,
        )
        self.log_dropped = Counter(
            "qabot_log_dropped",
            "Rows (questions, votes, claims) dropped because the log queue was full, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.log_queue = Gauge(
            "qabot_log_queue_rows",
            "Rows waiting in the log queue to be written to the database.",
            registry=self.registry,
        )
        self.database_up = Gauge(
            "qabot_database_up",
            "1 while the database takes writes, 0 while it is down (rows wait in the queue).",
            registry=self.registry,
        )
        self.matching = Gauge(
            "qabot_matching",
            "1 for the matching on (lexical, word-vectors, or the sentence model), else 0.",
            ["mode"],
            registry=self.registry,
        )
        self.knowledge_entries = Gauge(
            "qabot_knowledge_entries",
            "Entries in the knowledge the bot answers from.",
            registry=self.registry,
        )
        self.knowledge_reloads = Counter(
            "qabot_knowledge_reloads",
            "Reloads of the knowledge, by outcome (changed / failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.source_last_success = Gauge(
            "qabot_knowledge_source_last_success_seconds",
            "When a git source was last fetched (Unix time); stale means the last good copy.",
            ["source"],
            registry=self.registry,
        )
        self.source_failures = Gauge(
            "qabot_knowledge_source_failures",
            "Fetches of a git source that failed since start.",
            ["source"],
            registry=self.registry,
        )
        self.matching_mode = "starting"
        self._health: Callable[[], Health] = Health

    def watch(self, health: Callable[[], Health]) -> None:
        """Report ``health()`` on /healthz and in ``qabot_database_up`` (the log writer's)."""
        self._health = health
        self.database_up.set_function(lambda: float(health().database != "down"))

    def health(self) -> Health:
        return self._health()

    def show_matching(self, mode: str, entries: int) -> None:
        """The matching now on, for ``qabot_matching`` and ``/healthz``."""
        if self.matching_mode != "starting":
            self.matching.labels(mode=self.matching_mode).set(0)
        self.matching_mode = mode
        self.matching.labels(mode=mode).set(1)
        self.knowledge_entries.set(entries)

    def show_source(self, name: str, last_success: float | None, failures: int) -> None:
        if last_success is not None:
            self.source_last_success.labels(source=name).set(last_success)
        self.source_failures.labels(source=name).set(failures)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


_process_metrics: Metrics | None = None


def process_metrics() -> Metrics:
    """The metrics of this process, created on first use (never at import)."""
    global _process_metrics
    if _process_metrics is None:
        _process_metrics = Metrics()
    return _process_metrics


def metrics_routes(metrics: Metrics | None = None) -> list[web.RouteDef]:
    """``GET /metrics`` (Prometheus text) and ``GET /healthz``, to add to any aiohttp app."""
    source = metrics

    async def show_metrics(_request: web.Request) -> web.Response:
        body = (source or process_metrics()).render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def health(_request: web.Request) -> web.Response:
        # 503 while the database is down: answers still go out, but the log and votes wait.
        metrics = source or process_metrics()
        state = metrics.health()
        body = {**state.as_json(), "matching": metrics.matching_mode}
        return web.json_response(body, status=503 if state.status != "ok" else 200)

    return [web.get("/metrics", show_metrics), web.get("/healthz", health)]


async def serve_metrics(
    port: int, *, host: str = "0.0.0.0", metrics: Metrics | None = None
) -> web.AppRunner:
    """Serve the metrics routes on ``port``; call ``await runner.cleanup()`` to stop."""
    app = web.Application()
    app.add_routes(metrics_routes(metrics))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.debug("metrics on http://%s:%d/metrics", host, port)
    return runner
