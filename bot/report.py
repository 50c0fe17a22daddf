"""``qabot report``: what members asked, how well the bot answered, and what to write next.

The markdown form is a ``## Q&A`` section of the unanswered questions (``###`` headings with a
TODO answer, which the knowledge loader skips until the host writes it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz, process, utils

from bot.errors import UsageError
from bot.knowledge import KnowledgeBase
from bot.models import Entry
from bot.store.clean import stored_entry_id

if TYPE_CHECKING:
    from bot.store import Store

Format = Literal["table", "markdown", "json"]
SIMILARITY = 80  # rapidfuzz WRatio at which two unanswered questions count as one
TOP = 10
_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class DayCount:
    day: dt.date
    questions: int
    answered: int


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Similar unanswered questions: the most asked wording, how often, and other wordings."""

    question: str
    count: int
    variants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EntryCount:
    entry_id: str
    question: str
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    since: dt.datetime
    until: dt.datetime
    questions: int
    answered: int
    per_day: tuple[DayCount, ...]
    median_latency_ms: float | None
    unanswered: tuple[QuestionGroup, ...]
    most_down_voted: tuple[EntryCount, ...]
    never_matched: tuple[Entry, ...]

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None


def parse_since(text: str) -> dt.timedelta:
    """``7d``, ``24h`` or ``2w`` -> a time span."""
    match = _SINCE.match(text)
    if match is None or int(match.group(1)) == 0:
        raise UsageError(f"--since {text!r}: expected a span such as 7d, 24h or 2w")
    return dt.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


async def build_report(
    store: Store,
    knowledge: KnowledgeBase,
    since: dt.datetime,
    until: dt.datetime,
    *,
    top: int = TOP,
) -> Report:
    """Collect the figures for questions asked in ``[since, until)``."""
    logged = [q.record for q in await store.questions(since, until)]
    down = await store.down_votes(since, until)
    answered = [r for r in logged if r.outcome == "answered"]
    matched = {r.entry_id for r in answered}  # as stored: long ids are hashed (stored_entry_id)
    by_stored = {stored_entry_id(e.id): e for e in knowledge.entries}
    per_day = Counter(r.asked_at.date() for r in logged)
    answered_per_day = Counter(r.asked_at.date() for r in answered)
    days = [
        since.date() + dt.timedelta(days=n) for n in range((until.date() - since.date()).days + 1)
    ]

    def question_of(entry_id: str) -> str:
        entry = by_stored.get(entry_id)
        return entry.question if entry else "(no longer in the knowledge base)"

    def raw_id(entry_id: str) -> str:
        entry = by_stored.get(entry_id)
        return entry.id if entry else entry_id

    return Report(
        since=since,
        until=until,
        questions=len(logged),
        answered=len(answered),
        per_day=tuple(DayCount(d, per_day[d], answered_per_day[d]) for d in days),
        median_latency_ms=statistics.median(r.latency_ms for r in logged) if logged else None,
        unanswered=tuple(
            group_questions([r.question for r in logged if r.outcome == "abstained"])[:top]
        ),
        most_down_voted=tuple(
            EntryCount(raw_id(entry_id), question_of(entry_id), n)
            for entry_id, n in sorted(down.items(), key=lambda item: (-item[1], item[0]))[:top]
        ),
        never_matched=tuple(e for e in knowledge.entries if stored_entry_id(e.id) not in matched),
    )


def group_questions(
    questions: Sequence[str], *, similarity: int = SIMILARITY
) -> list[QuestionGroup]:
    """Group similar wordings, most asked first (rapidfuzz WRatio >= ``similarity``)."""
    counts: Counter[str] = Counter()
    wording: dict[str, str] = {}
    for question in questions:
        key = utils.default_process(question)
        if key:
            counts[key] += 1
            wording.setdefault(key, " ".join(question.split()))
    groups: list[list[str]] = []
    heads: list[str] = []
    for key, _ in counts.most_common():
        found = process.extractOne(key, heads, scorer=fuzz.WRatio, score_cutoff=similarity)
        if found is None:
            heads.append(key)
            groups.append([key])
        else:
            groups[found[2]].append(key)
    result = [
        QuestionGroup(
            question=wording[keys[0]],
            count=sum(counts[k] for k in keys),
            variants=tuple(wording[k] for k in keys[1:]),
        )
        for keys in groups
    ]
    return sorted(result, key=lambda g: -g.count)


def render(report: Report, fmt: Format) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_table(report)


def render_table(report: Report) -> str:
    lines = [f"qabot report {_span(report)} (UTC)", "", "Questions per day"]
    lines += [f"  {d.day}  {d.questions:5d}  answered {d.answered}" for d in report.per_day]
    rate = "-" if report.answer_rate is None else f"{report.answer_rate:.0%}"
    latency = "-" if report.median_latency_ms is None else f"{report.median_latency_ms:.1f} ms"
    lines += [
        "",
        f"Questions: {report.questions}   answered: {report.answered} ({rate})   "
        f"median latency: {latency}",
        "",
        "Top unanswered questions",
    ]
    lines += [
        f"  {g.count:4d}  {g.question}" + (f"  (+{len(g.variants)} similar)" if g.variants else "")
        for g in report.unanswered
    ] or ["  (none)"]
    lines += ["", "Entries with most 👎"]
    lines += [f"  {e.count:4d}  {e.question}  [{e.entry_id}]" for e in report.most_down_voted] or [
        "  (none)"
    ]
    lines += ["", f"Entries never matched ({len(report.never_matched)})"]
    lines += [f"  {e.question}  [{e.id}]" for e in report.never_matched] or ["  (none)"]
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    """A ``## Q&A`` section to paste into a knowledge file: one ``###`` per unanswered question."""
    rate = "-" if report.answer_rate is None else f"{report.answer_rate:.0%}"
    lines = [
        f"## Q&A from the community ({_span(report)})",
        "",
        f"<!-- qabot report: {report.questions} questions, {report.answered} answered ({rate}).",
        "Unanswered questions, most asked first. Replace each TODO with the answer;",
        "entries still saying TODO are skipped by the bot.",
    ]
    for group in report.unanswered:
        also = "; ".join(_comment_safe(v) for v in group.variants[:5])
        lines.append(
            f"- asked {group.count}x: {_comment_safe(group.question)}"
            + (f" (also: {also})" if also else "")
        )
    lines.append("-->")
    for group in report.unanswered:
        lines += ["", f"### {_heading(group.question)}", "", "TODO"]
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    data: dict[str, Any] = {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "questions": report.questions,
        "answered": report.answered,
        "answer_rate": report.answer_rate,
        "median_latency_ms": report.median_latency_ms,
        "per_day": [
            {"day": d.day.isoformat(), "questions": d.questions, "answered": d.answered}
            for d in report.per_day
        ],
        "unanswered": [
            {"question": g.question, "count": g.count, "variants": list(g.variants)}
            for g in report.unanswered
        ],
        "most_down_voted": [
            {"entry_id": e.entry_id, "question": e.question, "down_votes": e.count}
            for e in report.most_down_voted
        ],
        "never_matched": [{"entry_id": e.id, "question": e.question} for e in report.never_matched],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _span(report: Report) -> str:
    return f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"


def _heading(question: str) -> str:
    text = " ".join(question.split()).lstrip("#").strip()
    return text[:1].upper() + text[1:]


def _comment_safe(text: str) -> str:
    return text.replace("--", "- -")
