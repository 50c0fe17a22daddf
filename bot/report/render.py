"""The report as a table (terminal), markdown (drafts to paste into the knowledge) or JSON."""

from __future__ import annotations

import json
from typing import Any, Literal

from bot import drafts  # a module: bot.drafts imports bot.report.model in turn
from bot.report.model import QuestionGroup, Report, more

Format = Literal["table", "markdown", "json"]


def render(report: Report, fmt: Format) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_table(report)


def _rate(report: Report) -> str:
    return "-" if report.answer_rate is None else f"{report.answer_rate:.0%}"


def _latency(report: Report) -> str:
    if not report.latency_ms:
        return "-"
    return "  ".join(f"p{round(p * 100)} {ms:.1f} ms" for p, ms in report.latency_ms)


def _more(lines: list[str], shown: int, total: int) -> list[str]:
    tail = more(shown, total)
    return lines + ([f"  … {tail}"] if tail else []) if lines else ["  (none)"]


def _groups(groups: tuple[QuestionGroup, ...]) -> list[str]:
    return [
        f"  {g.count:5d}  {g.question}" + (f"  (+{len(g.variants)} similar)" if g.variants else "")
        for g in groups
    ]


def render_table(report: Report) -> str:
    lines = [f"qabot report {_span(report)} (UTC){_scope(report)}", "", "Questions per day"]
    lines += [f"  {d.day}  {d.questions:7d}  answered {d.answered}" for d in report.per_day]
    lines += [
        "",
        f"Questions: {report.questions}   answered: {report.answered} ({_rate(report)})   "
        f"latency: {_latency(report)}",
        "",
        f"Unanswered questions, by meaning ({report.grouped_by}): {report.groups_total} groups",
    ]
    lines += _more(_groups(report.groups), len(report.groups), report.groups_total)
    lines += ["", f"Off-topic questions (not gaps): {report.off_topic_total} groups"]
    lines += _more(_groups(report.off_topic), len(report.off_topic), report.off_topic_total)
    lines += ["", f"Questions sent to mentors: {report.mentor_total}"]
    lines += _more(
        [f"  {g.count:5d}  {g.question}" for g in report.mentor_questions],
        len(report.mentor_questions),
        report.mentor_total,
    )
    lines += ["", "Entries with most 👎"]
    lines += _more(
        [f"  {e.count:5d}  {e.question}  [{e.entry_id}]" for e in report.most_down_voted],
        len(report.most_down_voted),
        report.down_voted_total,
    )
    if report.flagged:
        lines += [
            "",
            "Likely wrong answers (👎 by several members), with the questions that got them",
        ]
        for flag in report.flagged:
            lines.append(f"  {flag.members} members  {flag.question}  [{flag.entry_id}]")
            lines += [f"      asked: {q}" for q in flag.asked]
    lines += ["", f"Most matched entries ({report.matched_total})"]
    lines += _more(
        [f"  {e.count:5d}  {e.question}  [{e.entry_id}]" for e in report.most_matched],
        len(report.most_matched),
        report.matched_total,
    )
    lines += ["", f"Entries never matched ({report.never_matched_total})"]
    lines += _more(
        [f"  {e.question}  [{e.id}]" for e in report.never_matched],
        len(report.never_matched),
        report.never_matched_total,
    )
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    """A ``## Q&A`` section of drafts (real gaps and mentor questions) to paste into a page.

    Off-topic questions are not drafted; they are listed in the section's opening comment
    with the other figures, so the host sees them without a TODO to write.
    """
    notes = [
        f"qabot report{_scope(report)}: {report.questions} questions, "
        f"{report.answered} answered ({_rate(report)})."
    ]
    tail = more(len(report.groups), report.groups_total)
    if tail:
        notes.append(
            f"Drafts for the {len(report.groups)} most asked gaps; {tail}"
            " (a higher limit shows them)."
        )
    if report.off_topic:
        notes.append("Off-topic questions, not drafted:")
        notes += [f"- asked {g.count}x: {g.question}" for g in report.off_topic]
    for flag in report.flagged:
        notes.append(
            f"Likely wrong answer, 👎 by {flag.members} members: {flag.question} "
            f"[{flag.entry_id}], for: " + "; ".join(flag.asked)
        )
    title = f"Q&A from the community ({_span(report)})"
    return drafts.webinar_section(drafts.drafts_for(report), title=title, notes=notes)


def render_json(report: Report) -> str:
    def groups(items: tuple[QuestionGroup, ...]) -> list[dict[str, Any]]:
        return [
            {"question": g.question, "count": g.count, "variants": list(g.variants)} for g in items
        ]

    data: dict[str, Any] = {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "source": report.source,
        "channels": None if report.channels is None else list(report.channels),
        "questions": report.questions,
        "answered": report.answered,
        "answer_rate": report.answer_rate,
        "median_latency_ms": report.median_latency_ms,
        "latency_ms": {f"p{round(p * 100)}": ms for p, ms in report.latency_ms},
        "per_day": [
            {"day": d.day.isoformat(), "questions": d.questions, "answered": d.answered}
            for d in report.per_day
        ],
        "grouped_by": report.grouped_by,
        "unanswered": groups(report.groups),
        "unanswered_groups": report.groups_total,
        "off_topic": groups(report.off_topic),
        "off_topic_groups": report.off_topic_total,
        "mentor_questions": groups(report.mentor_questions),
        "mentor_total": report.mentor_total,
        "most_down_voted": [
            {"entry_id": e.entry_id, "question": e.question, "down_votes": e.count}
            for e in report.most_down_voted
        ],
        "flagged": [
            {
                "entry_id": f.entry_id,
                "question": f.question,
                "members": f.members,
                "asked": list(f.asked),
            }
            for f in report.flagged
        ],
        "most_matched": [
            {"entry_id": e.entry_id, "question": e.question, "count": e.count}
            for e in report.most_matched
        ],
        "matched_total": report.matched_total,
        "never_matched": [{"entry_id": e.id, "question": e.question} for e in report.never_matched],
        "never_matched_total": report.never_matched_total,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _span(report: Report) -> str:
    return f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"


def _scope(report: Report) -> str:
    if report.source is None:
        return ""
    where = "all channels" if report.channels is None else ", ".join(report.channels)
    return f", source {report.source} ({where})"
