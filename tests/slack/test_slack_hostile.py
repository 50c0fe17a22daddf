"""Hostile posts to Slack's HTTP endpoint: refused from the signature first, 4xx without a
traceback, never parsed, never logged in full, summed up in the log instead."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import pytest
from fake_slack import FakeSlack
from slack_side import SECRET, SlackSide, signed_headers

from adapters.slack.verify import Refusals
from bot.service import QABot

MEGABYTE = 1_000_000


def questions_asked(qabot: QABot) -> float:
    samples = qabot.metrics.registry.get_sample_value
    return sum(
        samples("qabot_questions_total", {"platform": "slack", "outcome": outcome}) or 0.0
        for outcome in ("answered", "abstained")
    )


async def test_twenty_unsigned_megabyte_posts_add_almost_nothing_to_the_log(
    slack: SlackSide, fake: FakeSlack, qabot: QABot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = "command=%2Fask&user_id=U123SECRET&text=" + "x" * MEGABYTE
    asked_before = questions_asked(qabot)  # the metrics registry is the process's
    started = time.monotonic()
    for _ in range(20):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        async with slack.http.post(slack.url, data=body, headers=headers) as response:
            assert response.status == 401
    elapsed = time.monotonic() - started

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert len(logged) < 1_000, logged[:2_000]
    assert "U123SECRET" not in logged and "Traceback" not in caplog.text
    [summary] = [
        r.getMessage() for r in caplog.records if "refused Slack requests" in r.getMessage()
    ]
    assert "1 unsigned" in summary  # the first at once; the other 19 in the next minute's line
    assert questions_asked(qabot) == asked_before and qabot.in_flight.running == 0
    assert not [c for c in fake.calls if c.method != "auth.test"]
    assert elapsed < 5


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", '{"type": "event_callback", "event": ', 400),  # cut JSON
        ("application/json", "[1, 2, 3]", 400),  # JSON, but not an object
        ("application/x-www-form-urlencoded", "payload=%7Bnot+json", 400),  # a broken click
        ("application/x-www-form-urlencoded", "payload=%5B%5D", 400),
        ("application/json", "\udcff", 400),  # not UTF-8
        ("application/json", '{"text": "' + "x" * 2 * MEGABYTE + '"}', 413),  # too large
    ],
)
async def test_signed_but_malformed_bodies_get_400_without_a_traceback(
    slack: SlackSide,
    caplog: pytest.LogCaptureFixture,
    content_type: str,
    body: str,
    status: int,
) -> None:
    raw = body.encode("utf-8", "surrogateescape")
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    signature = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
    headers = {"Content-Type": content_type, **signature}
    async with slack.http.post(slack.url, data=raw, headers=headers) as response:
        assert response.status == status
    assert "Traceback" not in caplog.text and "Error handling request" not in caplog.text


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, 400),
        ({"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"}, 400),
        ({"X-Slack-Signature": "v0=00"}, 401),
        (signed_headers("{}", secret="not-the-secret"), 401),
        (signed_headers("{}", timestamp=int(time.time()) - 3600), 401),  # a replay
    ],
)
async def test_bad_headers_are_refused_with_4xx_and_no_traceback(
    slack: SlackSide,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    status: int,
) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "app_mention", "text": "hi"}})
    all_headers = {"Content-Type": "application/json", **headers}
    async with slack.http.post(slack.url, data=body, headers=all_headers) as response:
        assert response.status == status
    assert "Traceback" not in caplog.text and "app_mention" not in caplog.text


def test_refusals_are_summed_up_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    refusals = Refusals(every=60, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="adapters.slack.verify")
    for step in range(5):  # a refusal every 30 s
        refusals.refuse(401, "unsigned" if step % 2 else "bad signature")
        now[0] += 30
    refusals.refuse(401, "unsigned")  # the last minute's count comes when the server stops
    refusals.flush()
    refusals.flush()  # nothing more to say
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(";")[0] for line in lines] == [
        "refused Slack requests (1 bad signature)",
        "refused Slack requests (1 unsigned, 1 bad signature)",
        "refused Slack requests (1 unsigned, 1 bad signature)",
        "refused Slack requests (1 unsigned)",
    ]
