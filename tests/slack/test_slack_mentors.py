""" "Ask a mentor" on Slack: the real bolt app against the fake Web API and a real store."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fake_slack import FakeSlack, wait_for
from slack_side import StartSlack, buttons, mention

from bot import replies

UNSURE = "how do I submit"  # near the submission entries; with a strict threshold, a miss
OTHER_MISS = "the thing about late submissions"
STRICT = "0.99"
MENTORS = "CMENTOR"


def mentor_button(message: dict[str, Any]) -> dict[str, Any] | None:
    found = [b for b in buttons(message) if b["text"]["text"] == replies.ASK_MENTOR]
    return found[0] if found else None


def texts(fake: FakeSlack) -> list[str]:
    return [str(m["text"]) for m in fake.of("response_url")]


def mentor_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.of("chat.postMessage") if m["channel"] == MENTORS]


async def test_only_a_miss_offers_it_and_a_double_click_notifies_the_mentors_once(
    start_slack: StartSlack, fake: FakeSlack
) -> None:
    answering = await start_slack(SLACK_MENTOR_CHANNEL=MENTORS)
    await answering.command("/ask", "How do I get the webinar recording?")
    await wait_for(lambda: fake.of("response_url"))
    assert mentor_button(fake.of("response_url")[0]) is None  # an answer: no mentor

    slack = await start_slack(ANSWER_THRESHOLD=STRICT, SLACK_MENTOR_CHANNEL=MENTORS)
    await slack.command("/ask", UNSURE, user="U1")
    await wait_for(lambda: len(fake.of("response_url")) == 2)
    miss = fake.of("response_url")[1]
    assert miss["response_type"] == "ephemeral"  # the button is seen by the asker only
    button = mentor_button(miss)
    assert button is not None

    await slack.click(button, user="U2")  # someone else replaying the asker's button
    await wait_for(lambda: len(fake.of("response_url")) == 3)
    assert texts(fake)[2] == replies.MENTOR_NOT_ASKER and mentor_posts(fake) == []

    await asyncio.gather(slack.click(button, user="U1"), slack.click(button, user="U1"))
    await slack.click(button, user="U1")  # and once more later, like a redelivery
    await wait_for(lambda: len(fake.of("response_url")) == 6)
    [posted] = mentor_posts(fake)
    shown = posted["text"] + json.dumps(posted["blocks"], ensure_ascii=False)
    assert UNSURE in shown and "app_redirect?channel=C1&amp;team=T1" in shown
    assert "<@" not in shown  # nobody is pinged
    said = sorted(texts(fake)[3:])
    assert said == sorted([replies.MENTORS_NOTIFIED] + [replies.MENTORS_ALREADY] * 2)


async def test_from_a_thread_the_mentors_get_its_link_and_the_thread_is_told(
    start_slack: StartSlack, fake: FakeSlack
) -> None:
    slack = await start_slack(ANSWER_THRESHOLD=STRICT, SLACK_MENTOR_CHANNEL=MENTORS)
    await slack.event(mention(f"<@UBOT> {UNSURE}", ts="1700000000.000100"))
    await wait_for(lambda: fake.of("chat.postEphemeral"))
    [miss] = fake.of("chat.postEphemeral")
    assert miss["user"] == "U1"  # only the asker sees the miss and its button
    button = mentor_button(miss)
    assert button is not None
    thread = {"is_ephemeral": True, "thread_ts": "1700000000.000100"}
    await slack.click(button, user="U1", message={}, container=thread)
    await wait_for(lambda: len(fake.of("chat.postMessage")) == 2)
    [posted] = mentor_posts(fake)
    assert "https://fake.slack.com/archives/C1/p1700000000000100" in json.dumps(posted)
    [told] = [m for m in fake.of("chat.postMessage") if m["channel"] == "C1"]
    assert told["thread_ts"] == "1700000000.000100"
    assert told["text"] == replies.MENTORS_NOTIFIED_THREAD


async def test_a_member_asks_the_mentors_at_most_the_limit_per_hour(
    start_slack: StartSlack, fake: FakeSlack
) -> None:
    slack = await start_slack(
        ANSWER_THRESHOLD=STRICT, SLACK_MENTOR_CHANNEL=MENTORS, MENTOR_LIMIT="1"
    )
    await slack.command("/ask", UNSURE, user="U1")
    await slack.command("/ask", OTHER_MISS, user="U1")
    await wait_for(lambda: len(fake.of("response_url")) == 2)
    first, second = (mentor_button(m) for m in fake.of("response_url"))
    assert first is not None and second is not None
    await slack.click(first, user="U1")
    await wait_for(lambda: len(fake.of("response_url")) == 3)
    await slack.click(second, user="U1")
    await wait_for(lambda: len(fake.of("response_url")) == 4)
    assert texts(fake)[2:] == [replies.MENTORS_NOTIFIED, replies.mentors_limited(1)]
    assert len(mentor_posts(fake)) == 1


async def test_without_a_mentor_channel_a_miss_has_no_mentor_button(
    start_slack: StartSlack, fake: FakeSlack
) -> None:
    slack = await start_slack(ANSWER_THRESHOLD=STRICT)
    await slack.command("/ask", UNSURE)
    await wait_for(lambda: fake.of("response_url"))
    [miss] = fake.of("response_url")
    assert buttons(miss) and mentor_button(miss) is None
