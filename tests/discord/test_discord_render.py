"""Embeds from the core's replies within Discord's limits, entry keys and the cooldown."""

from __future__ import annotations

import pytest

from adapters.discord import render
from adapters.discord.cooldown import MentionCooldown, Verdict
from adapters.discord.keys import EntryKeys
from bot import replies
from bot.models import Entry


def entry(**changes: object) -> Entry:
    values: dict[str, object] = {
        "id": "webinars/07-shipping#how-do-i-get-the-recording",
        "question": "How do I get the recording?",
        "answer": "It is on YouTube. The link is at the top.",
        "source_title": "Webinar 7: Shipping (March 3, 2026)",
        "source_url": "https://example.com/kb/webinars/07-shipping.md#how-do-i-get-the-recording",
        "path": "webinars/07-shipping.md",
        "line": 9,
        "recording_url": "https://www.youtube.com/watch?v=x",
        "date": "March 3, 2026",
    }
    values.update(changes)
    return Entry(**values)  # type: ignore[arg-type]


def embed_of(shown: Entry) -> render.discord.Embed:
    return render.embed(replies.tip(shown))


def test_embed_has_question_answer_source_link_and_footer() -> None:
    embed = embed_of(entry())
    assert embed.title == "How do I get the recording?"
    assert embed.url == entry().source_url
    assert embed.description is not None
    assert embed.description.startswith("It is on YouTube. The link is at the top.")
    assert f"[Source]({entry().source_url})" in embed.description
    assert "[Recording](https://www.youtube.com/watch?v=x)" in embed.description
    assert embed.footer.text == "Webinar 7: Shipping (March 3, 2026)"


def test_footer_adds_the_date_when_the_title_lacks_it() -> None:
    embed = embed_of(entry(source_title="Course › Homework", date="2026-03-03"))
    assert embed.footer.text == "Course › Homework · 2026-03-03"


def test_a_long_answer_shows_its_first_part_with_a_read_more_link() -> None:
    sentences = " ".join(f"Sentence number {i} explains one more detail." for i in range(400))
    embed = embed_of(entry(answer=sentences))
    assert embed.description is not None
    body, _, links = embed.description.rpartition("\n\n")
    assert 600 <= len(body) <= 900 and body.endswith("detail. …")
    assert links.startswith(f"[Read the full answer]({entry().source_url})")


def test_huge_title_footer_and_answer_stay_within_every_limit() -> None:
    huge = entry(question="Why " * 200, answer="word " * 3000, source_title="T" * 3000, date=None)
    embed = render.embed(replies.tip(huge, weekly=True))
    assert embed.title is not None and len(embed.title) <= render.TITLE_LIMIT
    assert embed.footer.text is not None and len(embed.footer.text) <= render.FOOTER_LIMIT
    assert embed.description is not None and len(embed.description) <= render.DESCRIPTION_LIMIT
    assert len(embed) <= render.EMBED_TOTAL_LIMIT


def test_local_file_sources_get_no_link_discord_would_reject() -> None:
    embed = embed_of(entry(source_url="file:///srv/knowledge/x.md#a", recording_url=None))
    assert embed.url is None
    assert "file://" not in (embed.description or "")


def test_long_entry_ids_become_short_stable_choice_values() -> None:
    short, long = entry(), entry(id="webinars/x#" + "a" * 150)
    keys = EntryKeys([short, long])
    assert keys.choice_value(short) == short.id
    value = keys.choice_value(long)
    assert value.startswith("k:") and len(value) <= 100
    assert keys.resolve(value) == long
    assert keys.resolve(short.id) == short
    assert keys.resolve("how do I get the recording") is None
    assert EntryKeys([long]).choice_value(long) == value  # same after a restart


@pytest.mark.parametrize("limit", [1, 5])
def test_cooldown_allows_limit_then_warns_once_then_stays_silent(limit: int) -> None:
    now = [0.0]
    cooldown = MentionCooldown(limit, 60, clock=lambda: now[0])
    assert [cooldown.check("u").verdict for _ in range(limit)] == [Verdict.ALLOW] * limit
    warned = cooldown.check("u")
    assert warned.verdict is Verdict.WARN and warned.wait_seconds == 60
    assert "60 seconds" in replies.slow_down(warned.wait_seconds)
    assert cooldown.check("u").verdict is Verdict.SILENT
    assert cooldown.check("other").verdict is Verdict.ALLOW  # per user
    now[0] = 60.0
    assert cooldown.check("u").verdict is Verdict.ALLOW  # the window slid
