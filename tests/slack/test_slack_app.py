"""The real bolt app over signed HTTP against the fake Slack API and a real QABot store."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from fake_slack import FakeSlack, wait_for
from slack_side import SlackSide, StartSlack, buttons, mention
from sqlalchemy import select

from bot.service import QABot
from bot.store.schema import feedback

ANSWERED = "How do I get the webinar recording?"
UNSURE = "how do I submit"  # close to the submission entries; with a strict threshold, none is sure
STRICT = "0.99"


def blocks_text(message: dict[str, Any]) -> str:
    blocks = message["blocks"]
    return blocks if isinstance(blocks, str) else json.dumps(blocks, ensure_ascii=False)


async def test_ask_is_acked_fast_and_answered_in_channel(slack: SlackSide, fake: FakeSlack) -> None:
    started = time.monotonic()
    reply = await slack.command("/ask", "how do i get the webinar recording?")
    assert reply.status == 200 and time.monotonic() - started < 3
    await wait_for(lambda: fake.of("response_url"))
    [answer] = fake.of("response_url")
    assert answer["response_type"] == "in_channel"
    header = answer["blocks"][1]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": ANSWERED}}
    body = answer["blocks"][2]["text"]["text"]
    assert "*course page*" in body and "_Recordings_" in body
    assert "<https://example.com/recordings?a=1&amp;b=2|the recordings list>" in body
    assert "• Recordings appear within 24 hours" in body
    assert "<@U1> asked" in answer["blocks"][0]["elements"][0]["text"]
    assert [b["text"]["text"] for b in buttons(answer)] == ["👍", "👎", "Not what I asked"]
    assert answer["text"]  # notification fallback


async def test_ask_only_to_the_asker_when_configured(
    start_slack: StartSlack, fake: FakeSlack
) -> None:
    slack = await start_slack(SLACK_ASK_VISIBILITY="asker")
    await slack.command("/ask", ANSWERED)
    await wait_for(lambda: fake.of("response_url"))
    [answer] = fake.of("response_url")
    assert answer["response_type"] == "ephemeral" and answer["blocks"][0]["type"] == "header"


async def test_no_confident_match_goes_only_to_the_asker_with_suggestion_buttons(
    start_slack: StartSlack, fake: FakeSlack
) -> None:
    slack = await start_slack(ANSWER_THRESHOLD=STRICT)
    await slack.command("/ask", UNSURE)
    await wait_for(lambda: fake.of("response_url"))
    [reply] = fake.of("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "couldn't find a confident answer" in reply["text"]
    assert 1 <= len(buttons(reply)) <= 3

    # choosing a suggestion posts that answer in the channel
    await slack.click(buttons(reply)[0])
    await wait_for(lambda: len(fake.of("response_url")) == 2)
    chosen = fake.of("response_url")[1]
    assert chosen["response_type"] == "in_channel"
    assert chosen["blocks"][1]["type"] == "header"


async def test_empty_ask_gets_usage_help_only_for_the_asker(
    slack: SlackSide, fake: FakeSlack
) -> None:
    reply = await slack.command("/ask", "   ")
    assert reply.status == 200
    help_message = reply.json()
    assert "/ask how do I get the recording?" in help_message["text"]
    assert help_message.get("response_type", "ephemeral") == "ephemeral"
    assert fake.of("response_url") == [] and fake.of("chat.postMessage") == []


async def test_tip_only_for_the_asker(slack: SlackSide, fake: FakeSlack) -> None:
    reply = await slack.command("/tip", "")
    tip = reply.json()
    assert reply.status == 200 and tip["text"].startswith("💡 Tip:")
    assert tip.get("response_type", "ephemeral") == "ephemeral"
    assert fake.of("chat.postMessage") == []


async def test_mention_is_answered_in_a_thread(slack: SlackSide, fake: FakeSlack) -> None:
    reply = await slack.event(mention(f"<@UBOT> {ANSWERED}"))
    assert reply.status == 200
    await wait_for(lambda: fake.of("chat.postMessage"))
    [posted] = fake.of("chat.postMessage")
    assert posted["thread_ts"] == "1700000000.000100" and posted["channel"] == "C1"
    assert ANSWERED in blocks_text(posted)
    assert fake.calls[0].headers["Authorization"] == "Bearer xoxb-test"


async def test_mention_inside_a_thread_answers_in_that_thread(
    slack: SlackSide, fake: FakeSlack
) -> None:
    await slack.event(
        mention(
            "<@UBOT> how do I get the webinar recording?",
            ts="1700000005.000200",
            thread_ts="1699.5",
        )
    )
    await wait_for(lambda: fake.of("chat.postMessage"))
    assert fake.of("chat.postMessage")[0]["thread_ts"] == "1699.5"


async def test_mention_without_question_gets_usage_help_only_for_the_asker(
    slack: SlackSide, fake: FakeSlack
) -> None:
    await slack.event(mention("<@UBOT> hi"))
    await wait_for(lambda: fake.of("chat.postEphemeral"))
    [usage] = fake.of("chat.postEphemeral")
    assert "/ask how do I get the recording?" in usage["text"]
    assert (usage["user"], usage["thread_ts"]) == ("U1", "1700000000.000100")
    assert fake.of("chat.postMessage") == []


async def test_messages_from_bots_are_ignored(slack: SlackSide, fake: FakeSlack) -> None:
    await slack.event(
        mention("<@UBOT> how do I get the webinar recording?", bot_id="BOTHER"), event_id="EvBot"
    )
    await slack.event(
        mention("<@UBOT> how do I get the webinar recording?", bot_id="BBOT", user="UBOT"),
        event_id="EvSelf",
    )
    await slack.event(
        mention("<@UBOT> how do I get the webinar recording?", ts="2.0"), event_id="EvHuman"
    )
    await wait_for(lambda: fake.of("chat.postMessage"))
    assert [p["thread_ts"] for p in fake.of("chat.postMessage")] == ["2.0"]


async def test_a_retried_event_is_answered_once_even_while_the_first_is_running(
    slack: SlackSide, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.slack.app")
    gate = fake.hold("chat.postMessage")  # the first delivery is stuck posting its answer
    await slack.event(mention("<@UBOT> how do I get the webinar recording?"), event_id="EvR")
    await wait_for(lambda: fake.attempts("chat.postMessage") == 1)
    replies = await asyncio.gather(
        slack.event(
            mention("<@UBOT> how do I get the webinar recording?"), event_id="EvR", retry=1
        ),
        slack.event(
            mention("<@UBOT> how do I get the webinar recording?"), event_id="EvR", retry=2
        ),
    )
    assert [r.status for r in replies] == [200, 200]
    await wait_for(lambda: caplog.text.count("already handled") == 2)
    gate.set()
    await wait_for(lambda: fake.of("chat.postMessage"))
    assert fake.attempts("chat.postMessage") == 1


async def test_vote_is_stored_and_thanked(slack: SlackSide, fake: FakeSlack, qabot: QABot) -> None:
    await slack.command("/ask", ANSWERED)
    await wait_for(lambda: fake.of("response_url"))
    up, down, _ = buttons(fake.of("response_url")[0])
    await slack.click(up, user="U7")
    await wait_for(lambda: len(fake.of("response_url")) == 2)
    thanks = fake.of("response_url")[1]
    assert thanks["text"] == "Thanks for the feedback!" and thanks["response_type"] == "ephemeral"
    log_id = json.loads(up["value"])["l"]
    assert await stored_votes(qabot) == [("up", log_id)]
    await slack.click(down, user="U7")  # a member may change their mind: still one vote
    await wait_for(lambda: len(fake.of("response_url")) == 3)
    assert await stored_votes(qabot) == [("down", log_id)]


async def stored_votes(qabot: QABot) -> list[tuple[str, int]]:
    """The feedback rows as the report reads them: (vote, log id)."""
    assert await qabot.flush()  # votes are written in the background
    async with qabot.store.engine.connect() as conn:
        rows = await conn.execute(select(feedback.c.vote, feedback.c.log_id))
        return [(row.vote, row.log_id) for row in rows]


async def test_not_what_i_asked_shows_runners_up_and_a_choice_is_posted(
    slack: SlackSide, fake: FakeSlack
) -> None:
    await slack.command("/ask", "How are homework submissions graded?")
    await wait_for(lambda: fake.of("response_url"))
    *_, not_this = buttons(fake.of("response_url")[0])
    await slack.click(not_this, user="U1")
    await wait_for(lambda: len(fake.of("response_url")) == 2)
    others = fake.of("response_url")[1]
    assert others["response_type"] == "ephemeral"
    titles = [b["text"]["text"] for b in buttons(others)]
    late = "Can I submit the homework after the deadline? · Webinar 7: Shipping a…"
    assert late in titles  # the question, and where it comes from

    choice = buttons(others)[titles.index(late)]
    await slack.click(choice, user="U1")
    await wait_for(lambda: len(fake.of("response_url")) == 3)
    posted = fake.of("response_url")[2]
    assert posted["response_type"] == "in_channel"
    assert "Late submissions are accepted" in blocks_text(posted)


@pytest.mark.parametrize("ephemeral", [False, True])
async def test_choice_offered_in_a_thread_is_answered_in_that_thread(
    start_slack: StartSlack, fake: FakeSlack, ephemeral: bool
) -> None:
    slack = await start_slack(ANSWER_THRESHOLD=STRICT)
    await slack.event(mention(f"<@UBOT> {UNSURE}"))
    await wait_for(lambda: fake.of("chat.postEphemeral"))
    offered = fake.of("chat.postEphemeral")[0]
    assert offered["user"] == "U1"  # a miss is only for the asker, in the thread
    where = {"thread_ts": offered["thread_ts"]}
    if ephemeral:  # Slack sends no "message" for ephemeral ones, only the container
        await slack.click(buttons(offered)[0], message={}, container=where)
    else:
        await slack.click(buttons(offered)[0], message={"ts": "9.9", **where})
    await wait_for(lambda: fake.of("chat.postMessage"))
    assert fake.of("chat.postMessage")[0]["thread_ts"] == "1700000000.000100"


async def test_rate_limited_post_is_retried_after_retry_after(
    slack: SlackSide, fake: FakeSlack
) -> None:
    fake.fail("chat.postMessage", 429)
    await slack.event(mention("<@UBOT> how do I get the webinar recording?"))
    await wait_for(lambda: fake.of("chat.postMessage"), within=4)
    assert fake.attempts("chat.postMessage") == 2 and len(fake.of("chat.postMessage")) == 1


async def test_long_answer_is_cut_within_slack_limits(slack: SlackSide, fake: FakeSlack) -> None:
    await slack.command("/ask", "What is the complete setup guide for the local environment?")
    await wait_for(lambda: fake.of("response_url"))
    answer = fake.of("response_url")[0]
    assert len(answer["blocks"]) <= 50
    body, link = answer["blocks"][2]["text"]["text"].rsplit("\n", 1)
    assert 600 <= len(body) <= 900  # a readable first part, cut after a whole sentence
    assert body.endswith("moving on. …")
    assert link.startswith("<file://") and link.endswith("|Read the full answer>")


async def test_special_mentions_in_knowledge_never_ping(slack: SlackSide, fake: FakeSlack) -> None:
    await slack.event(mention("<@UBOT> How do I announce my project demo to the whole cohort?"))
    await wait_for(lambda: fake.of("chat.postMessage"))
    posted = fake.of("chat.postMessage")[0]
    shown = posted["text"] + blocks_text(posted)
    assert "<!channel>" not in shown and "<!here>" not in shown and "<@U999>" not in shown
    assert "&lt;!channel&gt;" in shown and "&amp; never" in shown


async def test_errors_become_a_polite_message(
    slack: SlackSide, fake: FakeSlack, qabot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(qabot, "ask", broken)
    await slack.command("/ask", "how do I get the webinar recording?")
    await wait_for(lambda: fake.of("response_url"))
    reply = fake.of("response_url")[0]
    assert (
        reply["text"].startswith("Sorry, something went wrong") and "Traceback" not in reply["text"]
    )
    assert reply["response_type"] == "ephemeral"


@pytest.mark.parametrize("sign", [{"timestamp": int(time.time()) - 301}, {"secret": "forged"}])
async def test_stale_or_forged_requests_are_refused(
    slack: SlackSide, fake: FakeSlack, sign: dict[str, Any]
) -> None:
    reply = await slack.command("/ask", "how do I get the webinar recording?", **sign)
    assert reply.status == 401
    assert fake.of("response_url") == [] and fake.of("auth.test") == []


async def test_health_and_metrics_are_served_next_to_slack(slack: SlackSide) -> None:
    base = slack.url.removesuffix("/slack/events")
    async with slack.http.get(f"{base}/healthz") as health:
        assert health.status == 200
    async with slack.http.get(f"{base}/metrics") as metrics:
        assert metrics.status == 200 and "# TYPE" in await metrics.text()
