"""``qabot ask``: answer questions from the command line, for people or (``--json``) for tools."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Iterator

from bot.cli.options import add_knowledge_options, matcher_from
from bot.errors import UsageError
from bot.matching import MAX_QUESTION_CHARS, Matcher
from bot.models import Answer, NoAnswerReason, Result

JSON_CANDIDATES = 5


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="answer a question from the knowledge base",
        description="Answer questions. With --json and no question, reads one per line from stdin.",
    )
    parser.add_argument("questions", nargs="*", metavar="QUESTION")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_knowledge_options(parser)
    parser.set_defaults(func=run)


def validate(question: str) -> str:
    """Reject what no member would send: empty, huge or binary input."""
    if "\x00" in question or "\ufffd" in question or _control_share(question) > 0.1:
        raise UsageError("the question is not readable text (binary data?)")
    if not question.strip():
        raise UsageError('empty question; try: qabot ask "how do I become an AI engineer?"')
    if len(question) > MAX_QUESTION_CHARS:
        raise UsageError(
            f"the question is {len(question):,} characters long; the limit is "
            f"{MAX_QUESTION_CHARS:,}. Ask it in a sentence or two."
        )
    return question


def _control_share(text: str) -> float:
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r")
    return controls / max(1, len(text))


def _stdin_questions() -> Iterator[tuple[int, str | None]]:
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield number, None
            continue
        if line.strip():
            yield number, line


def to_json(question: str, result: Result) -> dict[str, object]:
    """The stable ``qabot ask --json`` record (documented in README.md)."""
    best = result.candidates[0] if result.candidates else None
    best_id: str | None
    url: str | None
    if isinstance(result, Answer):
        best_id, url = result.entry.id, result.entry.source_url
    else:
        best_id = best.entry.id if best else None
        url = best.entry.source_url if best else None
    return {
        "question": question,
        "answered": isinstance(result, Answer),
        "id": best_id,
        "score": round(result.score, 4),
        "candidates": [
            {"id": c.entry.id, "score": round(c.score, 4)}
            for c in result.candidates[:JSON_CANDIDATES]
        ],
        "source_url": url,
    }


def render_text(result: Result, threshold: float) -> str:
    width = 88
    if isinstance(result, Answer):
        entry = result.entry
        lines = [f"{entry.question}  (confidence {result.score:.2f})", ""]
        for paragraph in result.text.splitlines():  # the full text, never an excerpt
            lines.append(textwrap.fill(paragraph, width) if paragraph.strip() else "")
        lines += ["", f"Source: {entry.source_title}", f"        {entry.source_url}"]
        if entry.recording_url:
            lines.append(f"Recording: {entry.recording_url}")
        if result.runners_up:
            lines += ["", "Related:"]
            lines += [f"  - {c.entry.question}" for c in result.runners_up]
        return "\n".join(lines)
    if result.reason is NoAnswerReason.EMPTY:
        return 'That message has no question in it. Try: qabot ask "how to become an AI engineer?"'
    lines = [
        f"I don't have a confident answer to: {result.question}",
        f"(best match {result.score:.2f}, below the threshold {threshold:.2f})",
    ]
    if result.suggestions:
        lines += ["", "Did you mean one of these?"]
        for number, c in enumerate(result.suggestions, start=1):
            lines.append(f"  {number}. {c.entry.question}  ({c.score:.2f})")
            lines.append(f"     {c.entry.source_url}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    questions: list[tuple[int, str | None]] = list(enumerate(args.questions, start=1))
    if not questions:
        if not args.json:
            raise UsageError('give a question, e.g. qabot ask "how do I become an AI engineer?"')
        if sys.stdin.isatty():
            raise UsageError("no questions given and stdin is a terminal; pipe one per line")
        questions = list(_stdin_questions())
    else:
        for _, question in questions:
            validate(question or "")
    matcher: Matcher = matcher_from(args)
    status = 0
    for number, question in questions:
        try:
            text = validate(question if question is not None else "\x00")
        except UsageError as exc:  # one bad stdin line must not stop the others
            print(f"qabot ask: line {number}: {exc}", file=sys.stderr)
            status = 2
            continue
        result = matcher.ask(text)
        if args.json:
            print(json.dumps(to_json(text, result), ensure_ascii=False))
        else:
            if len(questions) > 1:
                print(f"== {text}")
            print(render_text(result, matcher.threshold))
            if len(questions) > 1:
                print()
    return status
