"""What the weekly host digest says: the trend, grouped wordings and ready-to-paste drafts."""

from __future__ import annotations

import datetime as dt

from bot.digest import DigestFacts, as_text, compose_digest, group_wordings, summary
from bot.knowledge.files import FileRef
from bot.knowledge.formats.webinar import parse_webinar
from bot.store.digest_queries import SentToMentors, Wording

UNTIL = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def facts(asked: int, answered: int, before: tuple[int, int], **more: object) -> DigestFacts:
    values: dict[str, object] = {
        "week": "2026-W49",
        "until": UNTIL,
        "asked": asked,
        "answered": answered,
        "asked_before": before[0],
        "answered_before": before[1],
        "unanswered": (),
        "down_voted": (),
        "proposals_pending": 0,
        "proposals": (),
    }
    return DigestFacts(**{**values, **more})  # type: ignore[arg-type]


def test_the_answer_rate_is_compared_with_the_week_before() -> None:
    assert summary(facts(40, 30, (20, 10))) == (
        "40 questions in the last 7 days; 30 answered (75%), ▲ 25 points from 50% the week before."
    )
    assert summary(facts(10, 5, (10, 5))).endswith("(50%), no change from 50% the week before.")
    assert summary(facts(1, 0, (0, 0))) == "1 question in the last 7 days; 0 answered (0%)."
    assert summary(facts(0, 0, (5, 5))) == "No questions were asked in these 7 days."


def test_wordings_with_the_same_words_are_one_question_most_members_first() -> None:
    groups = group_wordings(
        [
            Wording("where are the slides", 4, 1),
            Wording("How do I pay for the course?", 2, 2),
            Wording("course: pay how", 1, 1),
        ]
    )
    assert [g.wordings for g in groups] == [
        ("How do I pay for the course?", "course: pay how"),
        ("where are the slides",),
    ]
    assert (groups[0].times, groups[0].members) == (3, 3)


def test_a_draft_pastes_into_a_webinar_page_as_an_entry() -> None:
    [group] = group_wordings([Wording("can i pay by invoice", 3, 3)])
    digest = compose_digest(facts(3, 0, (0, 0), unanswered=(group,)))
    [draft] = digest.drafts
    assert draft.question == "Can i pay by invoice?"
    page = f"# Webinar 9: Payments\n\n## Q&A\n\n{draft.markdown}\n"
    file = FileRef("webinars", "09-payments.md", "/knowledge/webinars", None)
    [entry] = [e for e in parse_webinar(page, file) if "#about." not in e.id]
    assert (entry.question, entry.answer) == ("Can i pay by invoice?", "TODO")
    assert "Asked as: “can i pay by invoice”" in as_text(digest)


def test_a_question_sent_to_the_mentors_leads_with_the_askers_wording_and_link() -> None:
    wordings = [Wording("where are the slides", 9, 9), Wording("pay by invoice?", 2, 2)]
    sent = [SentToMentors("invoice: can I pay by it", "https://chat/thread/1")]
    groups = group_wordings([*wordings, Wording("invoice: can I pay by it", 1, 1)], sent)
    assert groups[0].wordings == ("invoice: can I pay by it", "pay by invoice?")
    digest = compose_digest(facts(12, 0, (0, 0), unanswered=tuple(groups), sent_to_mentors=sent))
    text = as_text(digest)
    assert "**Sent to mentors (1)**" in text
    assert "The mentors were asked in [this conversation](https://chat/thread/1)." in text
    assert digest.drafts[0].question == "Invoice: can I pay by it?"
