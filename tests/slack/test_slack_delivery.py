"""Slack failing while an answer is posted: retried, bounded, never lost, never apologised for.

The real bolt app gets signed mentions; the fake Slack answers chat.postMessage with 500s,
429s, or not at all. "Redelivery" is Slack's retry of the same event id.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from fake_slack import FakeSlack
from slack_side import SlackSide, StartSlack, mention

from bot.replies import SORRY
from bot.service import QABot

QUESTION = "<@UBOT> How do I get the webinar recording?"
ANSWER_TEXT = "How do I get the webinar recording?"
POST = "chat.postMessage"


def posted(fake: FakeSlack) -> list[str]:
    """What members saw in threads: the text and blocks of every delivered post."""
    return [f"{p.get('text', '')} {p.get('blocks', '')}" for p in fake.of(POST)]


async def handled(qabot: QABot, within: float = 10.0) -> float:
    """Seconds until the handlers in flight are done (the ack comes before the answer)."""
    started = time.monotonic()
    await asyncio.sleep(0.05)
    async with asyncio.timeout(within):
        await qabot.in_flight.idle()
    return time.monotonic() - started


async def redeliver(slack: SlackSide, event_id: str, retry: int) -> None:
    reply = await slack.event(mention(QUESTION), event_id=event_id, retry=retry)
    assert reply.status == 200


async def test_a_single_500_is_retried_and_the_member_gets_the_answer(
    slack: SlackSide, fake: FakeSlack, qabot: QABot
) -> None:
    fake.fail(POST, 500)
    await slack.event(mention(QUESTION), event_id="Ev500")
    await handled(qabot)
    [seen] = posted(fake)
    assert ANSWER_TEXT in seen and SORRY not in seen
    assert fake.attempts(POST) == 2


@pytest.mark.parametrize("status", [500, 429])
async def test_a_lasting_error_gives_up_in_time_and_a_redelivery_is_answered_once(
    slack: SlackSide,
    fake: FakeSlack,
    qabot: QABot,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail(POST, *[status] * 20)
    await slack.event(mention(QUESTION), event_id=f"Ev{status}")
    assert await handled(qabot) < 6  # the SDK's retries, then it gives up
    assert posted(fake) == []  # no apology either: Slack would refuse it too
    assert "the reply was not delivered" in caplog.text
    assert "Traceback" not in caplog.text

    fake.recover(POST)
    await redeliver(slack, f"Ev{status}", retry=1)
    await handled(qabot)
    await redeliver(slack, f"Ev{status}", retry=2)  # answered already: nothing more
    await handled(qabot)
    [seen] = posted(fake)
    assert ANSWER_TEXT in seen and SORRY not in seen


async def test_a_hanging_slack_is_given_up_on_within_the_bound(
    start_slack: StartSlack, fake: FakeSlack, qabot: QABot
) -> None:
    slack = await start_slack(deliver_within=1.0)
    fake.hang(POST)
    await slack.event(mention(QUESTION), event_id="EvHang")
    assert await handled(qabot) < 2.5
    assert posted(fake) == []

    await redeliver(slack, "EvHang", retry=1)
    await handled(qabot)
    [seen] = posted(fake)
    assert ANSWER_TEXT in seen


async def test_a_slow_success_is_not_followed_by_an_apology(
    slack: SlackSide, fake: FakeSlack, qabot: QABot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gate = fake.hold(POST)
    await slack.event(mention(QUESTION), event_id="EvSlow")
    await asyncio.sleep(1.5)
    assert qabot.in_flight.running == 1  # still waiting on Slack
    gate.set()
    await handled(qabot)
    await asyncio.sleep(0.2)
    [seen] = posted(fake)
    assert ANSWER_TEXT in seen and SORRY not in seen
    assert not fake.of("chat.postEphemeral")
