"""Checks across the files of a load: placeholders, repeated ids and repeated questions."""

from __future__ import annotations

from bot.knowledge.base import Problem
from bot.models import Entry
from bot.text import fold

_PLACEHOLDER_ANSWERS = frozenset({"answer", "", "tbd", "todo"})


def is_placeholder(entry: Entry) -> bool:
    return (len(entry.question) <= 12 and fold(entry.question).strip(" ?") in {"question", ""}) or (
        len(entry.answer) <= 8  # folding every long answer would cost more than parsing
        and fold(entry.answer) in _PLACEHOLDER_ANSWERS
    )


def review(entries: list[Entry]) -> tuple[list[Entry], list[Problem]]:
    """Drop placeholders and repeated ids; report them and duplicate questions."""
    problems: list[Problem] = []
    kept: list[Entry] = []
    seen_ids: dict[str, Entry] = {}
    seen_questions: dict[str, Entry] = {}
    for entry in entries:
        if is_placeholder(entry):
            problems.append(
                Problem(
                    entry.path, entry.line, "warning", "placeholder entry skipped", entry.source
                )
            )
            continue
        if entry.id in seen_ids:
            first = seen_ids[entry.id]
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    "error",
                    f"duplicate id {entry.id!r} (first at {first.path}:{first.line}); skipped",
                    entry.source,
                )
            )
            continue
        seen_ids[entry.id] = entry
        # The same question in two courses is fine; within one course it is a duplicate.
        scope = entry.source_title.partition(" › ")[0] if " › " in entry.source_title else ""
        question = " ".join(fold(entry.question).split()).strip(" ?")  # split: faster than a regex
        key = f"{entry.source}\0{scope}\0{question}"
        if key in seen_questions:
            first = seen_questions[key]
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    "warning",
                    f"duplicate question, also at {first.path}:{first.line}: {entry.question!r}",
                    entry.source,
                )
            )
        else:
            seen_questions[key] = entry
        kept.append(entry)
    return kept, problems
