"""Ready-to-paste Q&A drafts for the questions the knowledge does not answer yet.

Each draft is an entry without its answer: the question to write (the most asked wording) and
the members' other wordings, which become its aliases. ``qabot report --format markdown`` and
the weekly host digest show the same drafts. Two shapes, after the knowledge formats
(docs/knowledge.md): a ``###`` entry for a webinar page's ``## Q&A`` section, or a course-FAQ
file. The answer reads ``TODO``, which the knowledge loader skips as a placeholder, so a
pasted draft stays silent until the host writes the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.report.model import QuestionGroup, Report

Origin = Literal["unanswered", "mentor"]
TODO = "TODO"


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry to write: its question, the members' wordings of it, and how often it came."""

    question: str  # the heading: a member's wording, tidied
    aliases: tuple[str, ...]  # members' wordings; for a mentor question the asker's comes first
    asked: int
    origin: Origin


def drafts_for(report: Report) -> tuple[Draft, ...]:
    """Drafts for the report's unanswered groups (real gaps), then its questions for mentors.

    A mentor question that is also an unanswered group's wording is drafted once, as the group;
    one that is an off-topic wording is not drafted.
    """
    drafts = [draft_of(group, "unanswered") for group in report.groups]
    known = (*report.groups, *report.off_topic)
    seen = {_fold(w) for g in known for w in (g.question, *g.variants)}
    drafts += [
        draft_of(group, "mentor")
        for group in report.mentor_questions
        if _fold(group.question) not in seen
    ]
    return tuple(drafts)


def draft_of(group: QuestionGroup, origin: Origin) -> Draft:
    """A group's draft: the heading from its most asked wording, every wording as an alias."""
    wordings = (group.question, *group.variants)
    if origin == "mentor":
        aliases = wordings  # the asker's own words are the first alias, exactly as asked
    else:
        aliases = tuple(w for w in group.variants if _fold(w) != _fold(group.question))
    return Draft(heading(group.question), _unique(aliases), group.count, origin)


def webinar_section(
    drafts: Iterable[Draft], title: str = "Q&A from the community", notes: Sequence[str] = ()
) -> str:
    """A ``## Q&A`` section with one ``###`` entry per draft, to paste into a webinar page.

    A webinar entry's answer runs to the next heading, so the wordings (and any ``notes``) are
    in one comment at the top of the section rather than under the headings, where they would
    become an answer.
    """
    drafts = list(drafts)
    lines = [f"## {title}", "", "<!--"]
    lines += [_comment_safe(note) for note in notes]
    if drafts:
        lines.append("Members' wordings (aliases), by question. Replace each TODO with the")
        lines.append("answer; entries still saying TODO are skipped by the bot.")
        for draft in drafts:
            asked = f"asked {draft.asked}x"
            if draft.origin == "mentor":
                asked += ", sent to mentors"
            lines.append(f"- {_comment_safe(draft.question)} ({asked})")
            lines += [f"    - {_comment_safe(alias)}" for alias in draft.aliases]
    else:
        lines.append("No unanswered questions to draft.")
    lines.append("-->")
    for draft in drafts:
        lines += ["", f"### {draft.question}", "", TODO]
    return "\n".join(lines) + "\n"


def faq_file(draft: Draft) -> str:
    """A course-FAQ file for one draft: front matter with its id, question and aliases."""
    lines = ["---", f"id: {faq_id(draft.question)}", f"question: {_yaml_string(draft.question)}"]
    if draft.aliases:
        lines.append("aliases:")
        lines += [f"- {_yaml_string(alias)}" for alias in draft.aliases]
    lines += ["---", "", TODO]
    return "\n".join(lines) + "\n"


def faq_id(question: str) -> str:
    """A stable 10-hex-digit id, like the course FAQ's own."""
    return hashlib.sha256(_fold(question).encode()).hexdigest()[:10]


def heading(question: str) -> str:
    """A member's wording as a heading: one line, no leading ``#``, capitalised."""
    text = " ".join(question.split()).lstrip("#").strip()
    return text[:1].upper() + text[1:]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip("?!. ")


def _unique(wordings: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept = []
    for wording in wordings:
        if _fold(wording) not in seen:
            seen.add(_fold(wording))
            kept.append(" ".join(wording.split()))
    return tuple(kept)


def _yaml_string(text: str) -> str:
    return "'" + " ".join(text.split()).replace("'", "''") + "'"


def _comment_safe(text: str) -> str:
    return text.replace("--", "- -")
