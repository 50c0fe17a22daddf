"""The weekly host digest: the week's figures, and what the digest says about them.

``gather_facts`` reads the figures (``bot.store.digest_queries``); ``compose_digest`` turns
them into a ``Digest`` of plain markdown blocks, the same for every platform; adapters only
lay it out. ``bot.digest_schedule`` posts it once a week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.display import clip
from bot.models import Entry
from bot.schedule import iso_week
from bot.store import digest_queries as queries
from bot.text import content_words, stem

WEEK = dt.timedelta(days=7)
GROUPS_SHOWN = 5  # unanswered question groups, each with a draft
DOWN_VOTED_SHOWN = 5
PROPOSALS_SHOWN = 5
WORDINGS_PER_DRAFT = 5
QUOTED = 120  # characters of a member's wording quoted in the digest

TITLE = "📋 Weekly digest for the host"
NO_QUESTIONS = "No questions were asked in these 7 days."
DRAFT_PLACEHOLDER = "TODO"  # the knowledge loader skips an entry still saying this
DRAFTS_HINT = (
    "Paste a draft under a webinar's Q&A section (`## Q&A`), replace TODO with the answer "
    "(until then the bot skips it), and reload (`qabot reload`). The members' wordings above "
    "each draft are starting points, and aliases to propose."
)
ASKED_AS = "Asked as"
MENTORS_ASKED = "The mentors were asked in"
MENTORS_SHOWN = 10

EntryLookup = Callable[[str], Entry | None]
# Wordings (most asked first) -> groups of their indexes by meaning, off-topic ones left out:
# ``bot.report.meaning_clusters`` with the bot's encoder.
GroupByMeaning = Callable[[Sequence[str]], Awaitable[list[list[int]] | None]]


# --- what a digest is --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnansweredGroup:
    """Missed questions that are one question in other words, most asked wording first."""

    wordings: tuple[str, ...]
    times: int
    members: int
    conversation: str | None = None  # where the mentors were asked it (the asker's wording first)


@dataclass(frozen=True, slots=True)
class DownVotedEntry:
    question: str  # the entry's question, or its id when the entry is gone
    members: int


@dataclass(frozen=True, slots=True)
class ProposedAlias:
    id: int
    wording: str
    entry_question: str
    members: int


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """Everything a digest reports, read from the store for the 7 days up to ``until``."""

    week: str  # the ISO week the digest is posted in
    until: dt.datetime
    asked: int
    answered: int
    asked_before: int  # the 7 days before, for the trend
    answered_before: int
    unanswered: tuple[UnansweredGroup, ...]
    down_voted: tuple[DownVotedEntry, ...]
    proposals_pending: int
    proposals: tuple[ProposedAlias, ...]
    sent_to_mentors: tuple[queries.SentToMentors, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestSection:
    heading: str
    lines: tuple[str, ...]  # markdown, one item each


@dataclass(frozen=True, slots=True)
class Draft:
    """A ready-to-paste knowledge entry (webinar ``###`` format) for an unanswered group."""

    question: str
    markdown: str  # the entry to paste: the question and a placeholder for the answer
    wordings: tuple[str, ...]  # how members asked it, most asked first
    conversation: str | None = None  # where the mentors answered it

    @property
    def asked_as(self) -> str:
        """``Asked as: “…” · “…”`` (and where the mentors answered), shown above the draft."""
        quoted = " · ".join(f"“{clip(w, QUOTED)}”" for w in self.wordings)
        line = f"{ASKED_AS}: {quoted}"
        if self.conversation:
            line += f"\n{MENTORS_ASKED} [this conversation]({self.conversation})."
        return line


@dataclass(frozen=True, slots=True)
class Digest:
    """What the host channel gets: platform-neutral markdown blocks."""

    title: str
    summary: str
    sections: tuple[DigestSection, ...]
    drafts: tuple[Draft, ...]
    drafts_hint: str = DRAFTS_HINT


# --- composing ---------------------------------------------------------------------------


def compose_digest(facts: DigestFacts) -> Digest:
    """The digest's wording, decided once for every platform."""
    title = f"{TITLE} · {facts.week}"
    sections = []
    if facts.unanswered:
        sections.append(
            DigestSection(
                "Top unanswered questions",
                tuple(_unanswered_line(group) for group in facts.unanswered),
            )
        )
    if facts.down_voted:
        sections.append(
            DigestSection(
                "Most 👎 answers",
                tuple(
                    f"“{clip(d.question, QUOTED)}”: 👎 from {_members(d.members)}"
                    for d in facts.down_voted
                ),
            )
        )
    if facts.proposals_pending:
        lines = tuple(
            f"“{clip(p.wording, QUOTED)}” → “{clip(p.entry_question, QUOTED)}” "
            f"({_members(p.members)}; `qabot learn accept {p.id}`)"
            for p in facts.proposals
        )
        more = facts.proposals_pending - len(facts.proposals)
        tail = (f"… and {more} more: `qabot learn`",) if more > 0 else ()
        sections.append(
            DigestSection(f"Alias proposals waiting ({facts.proposals_pending})", lines + tail)
        )
    if facts.sent_to_mentors:
        sections.append(
            DigestSection(
                f"Sent to mentors ({len(facts.sent_to_mentors)})",
                tuple(
                    f"“{clip(m.question, QUOTED)}”"
                    + (f" · [the conversation]({m.link})" if m.link else "")
                    for m in facts.sent_to_mentors
                ),
            )
        )
    drafts = tuple(draft_entry(group) for group in facts.unanswered)
    return Digest(title, summary(facts), tuple(sections), drafts)


def summary(facts: DigestFacts) -> str:
    """Questions asked, the answer rate, and its trend against the 7 days before."""
    if not facts.asked:
        return NO_QUESTIONS
    rate = facts.answered / facts.asked
    text = (
        f"{_count(facts.asked, 'question')} in the last 7 days; "
        f"{facts.answered} answered ({rate:.0%})"
    )
    if not facts.asked_before:
        return text + "."
    before = facts.answered_before / facts.asked_before
    points = round((rate - before) * 100)
    trend = "no change" if points == 0 else f"{'▲' if points > 0 else '▼'} {abs(points)} points"
    return f"{text}, {trend} from {before:.0%} the week before."


def draft_entry(group: UnansweredGroup) -> Draft:
    """A webinar ``###`` entry: the most asked wording as the question, the rest beside it."""
    question = _as_question(group.wordings[0])
    markdown = f"### {question}\n\n{DRAFT_PLACEHOLDER}"
    return Draft(question, markdown, group.wordings[:WORDINGS_PER_DRAFT], group.conversation)


def as_text(digest: Digest) -> str:
    """The digest as plain markdown (``qabot digest preview``, platforms without a layout)."""
    lines = [f"**{digest.title}**", "", digest.summary]
    for section in digest.sections:
        lines += ["", f"**{section.heading}**", *(f"- {line}" for line in section.lines)]
    if digest.drafts:
        lines += ["", "**Drafts for the unanswered questions**", digest.drafts_hint]
        for draft in digest.drafts:
            lines += ["", draft.asked_as, "```markdown", draft.markdown, "```"]
    return "\n".join(lines)


def _unanswered_line(group: UnansweredGroup) -> str:
    line = (
        f"“{clip(group.wordings[0], QUOTED)}”: asked {_count(group.times, 'time')} "
        f"by {_members(group.members)}"
    )
    if len(group.wordings) > 1:
        line += f", in {len(group.wordings)} wordings"
    return line


def _as_question(wording: str) -> str:
    text = " ".join(wording.split()).rstrip(" .!")
    text = text[:1].upper() + text[1:]
    return text if text.endswith("?") else f"{text}?"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _members(n: int) -> str:
    return _count(n, "member")


# --- gathering the figures ---------------------------------------------------------------


def group_wordings(
    wordings: Sequence[queries.Wording],
    sent: Sequence[queries.SentToMentors] = (),
    clusters: Sequence[Sequence[int]] | None = None,
) -> list[UnansweredGroup]:
    """Missed wordings grouped into questions, most asked first.

    ``clusters`` (indexes of ``wordings``) come from grouping by meaning, as ``qabot report``
    does; without them, wordings with the same content words (stemmed, any order) are one
    question. A group a member sent to the mentors comes first, with that member's wording
    first: the mentors' reply is the answer to draft, and the wording its first alias.
    """
    if clusters is None:
        by_key: dict[frozenset[str], list[queries.Wording]] = {}
        for wording in wordings:
            by_key.setdefault(_key(wording.question), []).append(wording)
        clustered = list(by_key.values())
    else:
        clustered = [[wordings[i] for i in ids] for ids in clusters]
    found = []
    for members in clustered:
        texts = [w.question for w in sorted(members, key=lambda w: -w.times)]
        mentor = _sent_for(texts, sent)
        if mentor is not None:
            texts = [mentor.question, *(t for t in texts if t != mentor.question)]
        found.append(
            UnansweredGroup(
                tuple(texts),
                sum(w.times for w in members),
                sum(w.members for w in members),  # one who asked in two wordings counts twice
                mentor.link if mentor is not None else None,
            )
        )
    return sorted(
        found, key=lambda g: (g.conversation is None, -g.members, -g.times, g.wordings[0])
    )


def _sent_for(
    texts: Sequence[str], sent: Sequence[queries.SentToMentors]
) -> queries.SentToMentors | None:
    """The first mentor request among a group's wordings (same words, any order)."""
    keys = {_key(text) for text in texts}
    return next((m for m in sent if _key(m.question) in keys), None)


def _key(question: str) -> frozenset[str]:
    return frozenset(stem(word) for word in content_words(question)) or frozenset({question})


async def gather_facts(
    engine: AsyncEngine,
    until: dt.datetime,
    lookup: EntryLookup,
    *,
    week: str | None = None,
    by_meaning: GroupByMeaning | None = None,
) -> DigestFacts:
    """Read the figures for the 7 days before ``until``."""
    since = until - WEEK
    now, before = await queries.week_counts(engine, since, until)
    sent = await queries.sent_to_mentors(engine, since, until, MENTORS_SHOWN)
    wordings = sorted(
        await queries.unanswered_wordings(engine, since, until), key=lambda w: -w.times
    )
    clusters = None if by_meaning is None else await by_meaning([w.question for w in wordings])
    groups = group_wordings(wordings, sent, clusters)
    down = await queries.most_down_voted(engine, since, until, DOWN_VOTED_SHOWN)
    pending, proposals = await queries.pending_proposals(engine, PROPOSALS_SHOWN)

    def question(entry_id: str) -> str:
        entry = lookup(entry_id)
        return entry.question if entry is not None else entry_id

    return DigestFacts(
        week=week or iso_week(until),
        until=until,
        asked=now.asked,
        answered=now.answered,
        asked_before=before.asked,
        answered_before=before.answered,
        unanswered=tuple(groups[:GROUPS_SHOWN]),
        down_voted=tuple(DownVotedEntry(question(d.entry_id), d.members) for d in down),
        proposals_pending=pending,
        proposals=tuple(
            ProposedAlias(p.id, p.wording, question(p.entry_id), p.members) for p in proposals
        ),
        sent_to_mentors=tuple(sent),
    )
