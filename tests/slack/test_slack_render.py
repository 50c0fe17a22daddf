"""Block Kit from the core's replies: markdown to mrkdwn, escaping, and Slack's limits."""

from __future__ import annotations

import json

from adapters.slack import render
from adapters.slack.mrkdwn import to_mrkdwn
from bot import replies
from bot.knowledge import KnowledgeBase
from bot.models import Answer, Candidate, Entry, NoAnswer, NoAnswerReason
from bot.replies import reply_to


def entry(answer: str = "Short answer.", question: str = "How?", **kw: object) -> Entry:
    fields: dict[str, object] = {
        "id": "webinars/01#how",
        "question": question,
        "answer": answer,
        "source_title": "Webinar 1: Basics (March 3, 2026)",
        "source_url": "https://example.com/w1#how",
        "path": "webinars/01.md",
        "line": 3,
        "date": "March 3, 2026",
    }
    fields.update(kw)
    return Entry(**fields)  # type: ignore[arg-type]


def knowledge_of(*entries: Entry) -> KnowledgeBase:
    return KnowledgeBase(entries)


def answer_message(
    answer: Answer, log_id: int | None = 42, asker: str | None = None
) -> render.Message:
    return render.render(reply_to(answer, log_id, knowledge_of(answer.entry)), asker=asker)


def shown_text(message: render.Message) -> str:
    """Everything Slack displays (button values are data, never shown)."""
    shown = json.dumps(message.blocks, ensure_ascii=False, default=str)
    for block in message.blocks:
        for element in block.get("elements", []):
            if "value" in element:
                shown = shown.replace(json.dumps(element["value"], ensure_ascii=False), "")
    return message.text + shown


def test_markdown_becomes_mrkdwn_by_its_structure() -> None:
    text = to_mrkdwn(
        "See [the docs](https://x.io/a?b=1&c=2), **bold**, *italic*, ~~old~~.\n"
        "# Steps\n\n- one\n  - nested\n* two\n\n3. three\n\n```python\nx = a < b and **c**\n```\n"
        "and `**raw**` ![diagram](https://x.io/d.png)"
    )
    assert "<https://x.io/a?b=1&amp;c=2|the docs>" in text
    assert "*bold*" in text and "_italic_" in text and "~old~" in text
    assert "*Steps*" in text and "• one\n    ◦ nested" in text and "3. three" in text
    assert "```\nx = a &lt; b and **c**\n```" in text  # no language tag; code kept, escaped
    assert "`**raw**`" in text and "<https://x.io/d.png|diagram>" in text


def test_special_mentions_and_angle_brackets_never_become_markup() -> None:
    text = to_mrkdwn(
        "Hi <!channel> <!here> <@U1> & <https://evil.example|click>\n\n`<!here>`\n\n"
        "```\n<!channel>\n```\n\n[<!here>](https://x.io)"
    )
    assert "<!" not in text and "<@" not in text
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt; &amp;" in text
    assert "`&lt;!here&gt;`" in text and "<https://x.io|&lt;!here&gt;>" in text
    # An autolink stays a link, its target shown as its label: nothing is disguised.
    assert "<https://evil.example%7Cclick|https://evil.example∣click>" in text


def test_answer_has_header_body_source_and_feedback_buttons() -> None:
    runner = Candidate(entry(question="Other?", id="webinars/01#other"), 0.4)
    answer = Answer("how <b>?", entry("Use **this**."), 0.9, runners_up=(runner,))
    message = answer_message(answer, asker="U1")
    types = [b["type"] for b in message.blocks]
    assert types == ["context", "header", "section", "context", "actions"]
    assert "<@U1> asked: _how &lt;b&gt;?_" in message.blocks[0]["elements"][0]["text"]
    assert message.blocks[2]["text"]["text"] == "Use *this*."
    source = message.blocks[3]["elements"][0]["text"]
    assert source == "Source: <https://example.com/w1#how|Webinar 1: Basics (March 3, 2026)>"
    buttons = message.blocks[4]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["👍", "👎", "Not what I asked"]
    assert json.loads(buttons[0]["value"]) == {"l": 42}
    assert json.loads(buttons[2]["value"])["alt"] == ["webinars/01#other"]


def test_answer_without_log_id_has_no_vote_buttons() -> None:
    message = answer_message(Answer("q", entry(), 0.9), log_id=None)
    assert [b["text"]["text"] for b in message.blocks[-1]["elements"]] == ["Not what I asked"]


def test_a_long_answer_shows_its_first_part_and_links_to_the_rest() -> None:
    sentence = "This sentence explains one more step of the setup in plain words. "
    message = answer_message(Answer("q", entry(sentence * 100), 0.9))
    body, link = message.blocks[1]["text"]["text"].rsplit("\n", 1)
    assert 600 <= len(body) <= 900 and body.endswith("words. …")
    assert link == "<https://example.com/w1#how|Read the full answer>"
    assert len(message.text) <= render.FALLBACK_LIMIT


def test_no_answer_offers_labelled_suggestions_and_limits_their_text() -> None:
    long_q = "Is this a very long question " * 10
    suggestion = Candidate(entry(question=long_q, id="webinars/01#long"), 0.3)
    miss = NoAnswer("<!here> what", NoAnswerReason.LOW_CONFIDENCE, suggestions=(suggestion,))
    message = render.render(reply_to(miss, 42, knowledge_of(suggestion.entry)))
    assert "<!here>" not in shown_text(message)
    button = message.blocks[1]["elements"][0]
    assert len(button["text"]["text"]) <= render.BUTTON_TEXT_LIMIT
    assert button["text"]["text"].endswith(" · Webinar 1: Basics")
    # A pick says what it follows (the logged miss) and what it is, for the alias proposal.
    value = {"e": "webinars/01#long", "q": "<!here> what", "l": 42, "v": "suggestion"}
    assert json.loads(button["value"]) == value


def test_blocks_never_exceed_fifty() -> None:
    many = [entry(id=f"e{i}") for i in range(80)]
    assert len(render.render(replies.others("q", many)).blocks) <= render.BLOCK_LIMIT


def test_tip_is_escaped_and_labelled() -> None:
    message = render.render(replies.tip(entry("Write <!channel> & see."), weekly=True))
    assert message.text.startswith("💡 Tip of the week")
    assert "&lt;!channel&gt; &amp; see." in message.blocks[1]["text"]["text"]
