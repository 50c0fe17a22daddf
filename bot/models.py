"""Plain, platform-neutral values the core hands to adapters and the command line."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    """One question with its answer, and where it comes from.

    ``id`` is ``<source>/<path without suffix>#<anchor>``, stable across machines: the source
    is a configured name, the anchor the GitHub heading slug for webinar entries and the
    front-matter id for FAQ entries.
    """

    id: str
    question: str
    answer: str  # markdown, as written in the knowledge file
    source_title: str  # "Webinar 1: Title (February 16, 2026)" or "Course › Section"
    source_url: str  # deep link to the entry
    path: str  # file path relative to the source's folder, with forward slashes
    line: int  # line of the heading / front matter in that file
    recording_url: str | None = None
    date: str | None = None
    aliases: tuple[str, ...] = ()  # other wordings of the question, matched like it
    source: str = ""  # name of the knowledge source ("webinars", "faq"); prefixes the id


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry with its confidence on the 0–1 scale documented in ``bot.matching``."""

    entry: Entry
    score: float


class NoAnswerReason(enum.Enum):
    EMPTY = "empty"  # nothing left after removing mentions, greetings and chatter
    LOW_CONFIDENCE = "low_confidence"  # no entry is a confident, clear match


@dataclass(frozen=True, slots=True)
class Answer:
    """A confident match: the entry to show, and up to three runners-up.

    ``text`` is the markdown to show, the entry's answer unless the core made another (a
    summary, a translation): renderers show ``text``, never ``entry.answer``.
    """

    question: str  # what the member asked, cleaned of mentions
    entry: Entry
    score: float
    runners_up: tuple[Candidate, ...] = ()
    candidates: tuple[Candidate, ...] = ()  # top 5 including the answer, for logs and JSON
    text: str = ""  # markdown to show; the entry's answer when not given

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", self.entry.answer)


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """No confident match: say so honestly and offer up to three suggestions."""

    question: str
    reason: NoAnswerReason
    suggestions: tuple[Candidate, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    score: float = 0.0  # confidence of the best candidate, 0 when there is none


Result = Answer | NoAnswer


@dataclass(frozen=True, slots=True)
class Tip:
    """A knowledge entry chosen to be posted as the weekly tip of one channel."""

    entry: Entry
    platform: str
    channel: str
    week: str  # ISO week, e.g. "2026-W48"
    claim: str = ""  # the ledger's claim token, carried on the message where the platform can


@dataclass(frozen=True, slots=True)
class AskContext:
    """Where a question came from; the user id is hashed before it is stored."""

    platform: str  # "slack", "discord", "cli"
    workspace: str | None = None  # Slack team id or Discord guild id
    channel: str | None = None
    user: str | None = None  # raw platform user id; hashed with a salt before storage


class MentorOutcome(enum.Enum):
    """What pressing "Ask a mentor" did (``bot.mentors``)."""

    NOTIFIED = "notified"  # posted to the mentor channel now
    ALREADY = "already"  # this question was sent before (a double click, a redelivery)
    LIMITED = "limited"  # the member used up MENTOR_LIMIT for this hour
    NOT_ASKER = "not_asker"  # someone else pressed the asker's button
    FAILED = "failed"  # the question is not found, or the post failed: try again
