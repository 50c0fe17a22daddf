"""Prometheus metrics in a per-process registry, and the /metrics and /healthz HTTP routes."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


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
            "qabot_feedback", "Feedback votes recorded, by vote.", ["vote"], registry=self.registry
        )
        self.tips_posted = Counter(
            "qabot_tips_posted",
            "Weekly tips posted, by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.errors = Counter(
            "qabot_errors",
            "Errors handled without crashing, by kind (e.g. db_write, tip_post).",
            ["kind"],
            registry=self.registry,
        )

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
        return web.Response(text="ok\n")

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
