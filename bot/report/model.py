"""What ``qabot report`` (and the weekly digest) knows: plain frozen values, no rendering."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.errors import UsageError
from bot.models import Entry

_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class Limits:
    """How many items each list of the report keeps (the rest is counted, not listed)."""

    groups: int = 10  # unanswered question groups (real gaps), and off-topic groups
    down_voted: int = 10  # entries with most 👎, and flagged wrong answers
    matched: int = 10  # most matched entries
    never_matched: int = 10
    mentor: int = 10  # questions sent to mentors
    wordings: int = 5  # members' wordings kept per group
    grouped: int = 3000  # most asked distinct unanswered wordings grouped by meaning
    flag_members: int = 3  # members whose 👎 flag an answer as wrong

    @classmethod
    def all(cls, n: int) -> Limits:
        """``--limit N``: every list keeps ``n`` items."""
        return cls(groups=n, down_voted=n, matched=n, never_matched=n, mentor=n)


@dataclass(frozen=True, slots=True)
class DayCount:
    day: dt.date
    questions: int
    answered: int


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Questions that mean the same: the most asked wording, how often, and other wordings."""

    question: str
    count: int
    variants: tuple[str, ...]  # the other wordings, most asked first (up to Limits.wordings)


@dataclass(frozen=True, slots=True)
class EntryCount:
    entry_id: str
    question: str
    count: int


@dataclass(frozen=True, slots=True)
class FlaggedAnswer:
    """An answer several members 👎'd: likely wrong for the questions that got it."""

    entry_id: str
    question: str  # the entry's question
    members: int  # distinct members who voted 👎
    asked: tuple[str, ...]  # the members' questions that got this answer and a 👎


@dataclass(frozen=True, slots=True)
class Report:
    since: dt.datetime
    until: dt.datetime
    source: str | None  # --source: only this source's entries (and its channels' questions)
    channels: tuple[str, ...] | None  # the channels read; None: every channel
    questions: int
    answered: int
    per_day: tuple[DayCount, ...]
    latency_ms: tuple[tuple[float, float], ...]  # (percentile, ms): 0.5, 0.9, 0.99
    groups: tuple[QuestionGroup, ...]  # unanswered, real gaps, most asked first
    groups_total: int
    off_topic: tuple[QuestionGroup, ...]  # unanswered and off-topic: not a gap to fill
    off_topic_total: int
    grouped_by: str  # the encoder's name, or "text" without one
    most_down_voted: tuple[EntryCount, ...]
    down_voted_total: int
    flagged: tuple[FlaggedAnswer, ...]
    most_matched: tuple[EntryCount, ...]
    matched_total: int
    never_matched: tuple[Entry, ...]
    never_matched_total: int
    mentor_questions: tuple[QuestionGroup, ...]  # "Ask a mentor", asker's wording first
    mentor_total: int

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def median_latency_ms(self) -> float | None:
        return dict(self.latency_ms).get(0.5)

    @property
    def unanswered(self) -> tuple[QuestionGroup, ...]:
        """The real gaps (off-topic questions are in ``off_topic``)."""
        return self.groups


def parse_since(text: str) -> dt.timedelta:
    """``7d``, ``24h`` or ``2w`` -> a time span."""
    match = _SINCE.match(text)
    if match is None or int(match.group(1)) == 0:
        raise UsageError(f"--since {text!r}: expected a span such as 7d, 24h or 2w")
    return dt.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def more(shown: int, total: int) -> str:
    """``and 1,284 more`` when a list was cut, else ``""``."""
    return f"and {total - shown:,} more" if total > shown else ""
