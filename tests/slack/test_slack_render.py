"""Block Kit rendering: Markdown to mrkdwn, escaping, and Slack's size limits."""

from __future__ import annotations

import json

from adapters.slack import render
from bot.models import Answer, Candidate, Entry, NoAnswer, NoAnswerReason


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


def shown_text(message: render.Message) -> str:
    """Everything Slack displays (button values are data, never shown)."""
    shown = json.dumps(message.blocks, ensure_ascii=False, default=str)
    for block in message.blocks:
        for element in block.get("elements", []):
            if "value" in element:
                shown = shown.replace(json.dumps(element["value"], ensure_ascii=False), "")
    return message.text + shown


def test_markdown_links_bold_italic_lists_and_code_become_mrkdwn() -> None:
    text = render.to_mrkdwn(
        "See [the docs](https://x.io/a?b=1&c=2), **bold**, *italic*, ~~old~~.\n"
        "# Steps\n- one\n* two\n1. three\n\n```python\nx = a < b and **c**\n```\nand `**raw**`"
    )
    assert "<https://x.io/a?b=1&amp;c=2|the docs>" in text
    assert "*bold*" in text and "_italic_" in text and "~old~" in text
    assert "*Steps*" in text and "• one" in text and "• two" in text and "1. three" in text
    assert "```x = a &lt; b and **c**```" in text  # code untouched apart from escaping
    assert "`**raw**`" in text


def test_special_mentions_and_angle_brackets_are_escaped() -> None:
    text = render.to_mrkdwn("Hi <!channel> <!here> <@U1> & <https://evil.example|click>")
    assert "<!" not in text and "<@" not in text and "<https" not in text
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt; &amp;" in text


def test_answer_has_header_body_source_and_feedback_buttons() -> None:
    runner = Candidate(entry(question="Other?", id="webinars/01#other"), 0.4)
    message = render.render_answer(
        Answer("how <b>?", entry("Use **this**."), 0.9, runners_up=(runner,)), 42, asker="U1"
    )
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
    message = render.render_answer(Answer("q", entry(), 0.9), None)
    assert [b["text"]["text"] for b in message.blocks[-1]["elements"]] == ["Not what I asked"]


def test_long_answer_is_cut_at_a_sentence_with_a_link() -> None:
    sentence = "This sentence explains one more step of the setup in plain words. "
    message = render.render_answer(Answer("q", entry(sentence * 100), 0.9), 1)
    body = message.blocks[1]["text"]["text"]
    assert len(body) <= render.SECTION_LIMIT
    assert body.endswith("words.…\n<https://example.com/w1#how|Read the full answer>")
    assert len(message.text) <= render.FALLBACK_LIMIT
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks if b["type"] == "section")


def test_a_single_huge_sentence_is_cut_at_a_word() -> None:
    body = render.fit_markdown("word " * 2000, 3000, "https://e.x/a")
    assert len(body) <= 3000 and body.endswith("word…\n<https://e.x/a|Read the full answer>")


def test_a_cut_inside_a_code_block_closes_it() -> None:
    markdown = "Intro.\n```\n" + "line of code here.\n" * 400 + "```"
    body = render.fit_markdown(markdown, 3000, None)
    assert len(body) <= 3000 and body.count("```") == 2


def test_no_answer_offers_suggestions_as_buttons_and_limits_their_text() -> None:
    long_q = "Is this a very long question " * 10
    suggestion = Candidate(entry(question=long_q, id="webinars/01#long"), 0.3)
    message = render.render_no_answer(
        NoAnswer("<!here> what", NoAnswerReason.LOW_CONFIDENCE, suggestions=(suggestion,))
    )
    assert "<!here>" not in shown_text(message)
    button = message.blocks[1]["elements"][0]
    assert len(button["text"]["text"]) <= render.BUTTON_TEXT_LIMIT
    assert json.loads(button["value"]) == {"e": "webinars/01#long", "q": "<!here> what"}


def test_blocks_never_exceed_fifty() -> None:
    many = [Candidate(entry(id=f"e{i}"), 0.1) for i in range(80)]
    assert len(render.render_runners_up("q", many).blocks) <= render.BLOCK_LIMIT


def test_tip_is_escaped_and_labelled() -> None:
    message = render.render_tip(entry("Write <!channel> & see."), weekly=True)
    assert message.text.startswith("💡 Tip of the week")
    assert "&lt;!channel&gt; &amp; see." in message.blocks[1]["text"]["text"]
