"""Webinar Q&A pages: a ``# Webinar N: Title``, metadata bullets, ``###`` questions in Q&A sections.

Besides one entry per question, the metadata under the title (host, date, recording, slides,
other links) becomes three entries of its own, ``#about.recording``, ``#about.slides`` and
``#about.host``: a heading's anchor never contains a dot, so they cannot collide.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.errors import KnowledgeError
from bot.knowledge.base import Problem
from bot.knowledge.files import LINK, FileRef
from bot.knowledge.formats.base import Format, ParseContext
from bot.models import Entry
from bot.text import fold, github_slug

ABOUT = "about."  # anchor prefix of the entries made from a page's metadata
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SHORT_TITLE = re.compile(r"^(webinar\s+\d+)\b", re.IGNORECASE)
# A page whose own Q&A asks about its recording (or slides, or host) answers that itself: a
# generated entry beside it would only split the vote between two answers to one question.
_TOPIC_WORDS = {
    "recording": ("recording", "recorded", "video"),
    "slides": ("slides", "slide deck", "presentation"),
    "host": ("host", "speaker", "presenter"),
}


def _markdown_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """Yield (line number, line, inside a code fence); an unclosed fence is an error."""
    fence: tuple[str, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if match and (fence is None or match.group(1) == fence[0]):
            fence = None if fence else (match.group(1), number)
            yield number, line, True
            continue
        yield number, line, fence is not None
    if fence is not None:
        raise ValueError(f"{fence[1]}:code block opened with {fence[0]} is never closed")


@dataclass
class _Meta:
    """The '- Date: ...' / '- [Recording on YouTube](url)' bullets under the title."""

    fields: dict[str, str] = field(default_factory=dict)  # "date" -> "May 5, 2026"
    host: str | None = None  # markdown, links kept
    recording: tuple[str, str] | None = None  # (link text, url)
    slides: tuple[str, str] | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # the other links


def _link_kind(label: str) -> str | None:
    words = fold(label)
    if any(w in words for w in ("recording", "youtube", "video")):
        return "recording"
    if any(w in words for w in ("slides", "slide deck", "presentation")):
        return "slides"
    return None


def _metadata(lines: list[str]) -> _Meta:
    meta = _Meta()
    for line in lines:
        item = line.strip()
        if not item.startswith(("- ", "* ")):
            continue
        item = item[2:].strip()
        link = LINK.fullmatch(item)
        if link:
            label, url = link.group(1).strip(), link.group(2)
            kind = _link_kind(label)
            if kind == "recording" and meta.recording is None:
                meta.recording = (label, url)
            elif kind == "slides" and meta.slides is None:
                meta.slides = (label, url)
            else:
                meta.links.append((label, url))
            continue
        key, sep, value = item.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        meta.fields[key] = LINK.sub(r"\1", value).strip()
        inner = LINK.search(value)
        url = inner.group(2) if inner else value
        if key in ("host", "hosts", "speaker", "speakers", "presenter"):
            meta.host = value
        elif key in ("recording", "video") and meta.recording is None and "://" in url:
            meta.recording = ("Recording", url)
        elif key == "slides" and meta.slides is None and url:
            meta.slides = ("Slides", url)
    return meta


def parse_webinar(text: str, file: FileRef, context: ParseContext | None = None) -> list[Entry]:
    """Entries of a webinar page: every ``###`` heading inside a ``## ... Q&A ...`` section."""
    path = file.rel_path
    try:
        lines = list(_markdown_lines(text))
    except ValueError as exc:
        line, _, message = str(exc).partition(":")
        raise KnowledgeError(path, int(line), message) from None

    title: str | None = None
    title_line = 1
    meta_lines: list[str] = []
    slug_counts: Counter[str] = Counter()
    in_qa = False
    seen_section = False
    current: tuple[str, str, int] | None = None  # question, anchor, line
    body: list[str] = []
    raw: list[tuple[str, str, int, list[str]]] = []

    def close() -> None:
        if current is not None:
            raw.append((*current, body.copy()))

    for number, line, in_code in lines:
        heading = None if in_code else _HEADING.match(line)
        if heading is None:
            if current is not None:
                body.append(line)
            elif title is not None and not seen_section:
                meta_lines.append(line)
            continue
        level, heading_text = len(heading.group(1)), heading.group(2).strip()
        base = github_slug(heading_text)
        anchor = base if slug_counts[base] == 0 else f"{base}-{slug_counts[base]}"
        slug_counts[base] += 1
        if level == 1:
            if title is not None:
                raise KnowledgeError(path, number, "a second '# ' title; a webinar file has one")
            title, title_line = heading_text, number
            slug_counts.clear()  # GitHub counts the title too, but keep ids independent of it
            slug_counts[base] += 1
            continue
        if title is None:
            raise KnowledgeError(path, number, "heading before the '# Webinar N: Title' line")
        if level <= 3 or current is not None:
            close()
            current, body = None, []
        if level == 2:
            seen_section = True
            in_qa = "q&a" in heading_text.lower() or "questions" in heading_text.lower()
        elif level == 3 and in_qa:
            if not heading_text:
                raise KnowledgeError(path, number, "empty '###' heading: it should be a question")
            current, body = (heading_text, anchor, number), []
    close()
    if title is None:
        raise KnowledgeError(path, 1, "missing title: start the file with '# Webinar N: Title'")

    meta = _metadata(meta_lines)
    date = meta.fields.get("date")
    recording = meta.recording[1] if meta.recording else None
    source_title = f"{title} ({date})" if date else title
    entries = []
    for question, anchor, number, body_lines in raw:
        answer = file.absolute_links("\n".join(body_lines).strip())
        if not answer:
            raise KnowledgeError(path, number, f"empty answer under '### {question}'")
        entries.append(
            Entry(
                id=f"{file.id_prefix}#{anchor}",
                question=question,
                answer=answer,
                source_title=source_title,
                source_url=file.url(anchor),
                path=path,
                line=number,
                recording_url=recording,
                date=date,
                source=file.source,
            )
        )
    if not entries and context is not None:
        context.problems.append(Problem(path, 1, "warning", "no Q&A entries in this file"))
    covered = " ".join(fold(question) for question, *_ in raw)
    about = [
        found
        for found in _about_entries(title, meta, file)
        if not any(word in covered for word in _TOPIC_WORDS[found[0]])
    ]
    return entries + [
        Entry(
            id=f"{file.id_prefix}#{ABOUT}{topic}",
            question=question,
            answer=file.absolute_links(answer),
            source_title=source_title,
            source_url=file.file_url,
            path=path,
            line=title_line,
            recording_url=recording,
            date=date,
            aliases=aliases,
            source=file.source,
        )
        for topic, question, aliases, answer in about
    ]


def _about_entries(
    title: str, meta: _Meta, file: FileRef
) -> list[tuple[str, str, tuple[str, ...], str]]:
    """(topic, question, other wordings, answer) for the recording, the slides and the host.

    A missing recording or slides link gets an honest answer that says so and gives the
    links the page does have. Answers name the webinar by its number: its title's words
    ("AI engineering") would make them look like answers to questions on that subject.
    """
    match = _SHORT_TITLE.match(title)
    short = match.group(1) if match else title
    date = meta.fields.get("date")
    others = [f"[{label}]({url})" for label, url in meta.links]
    elsewhere = f" Its page links to {_join(others)}." if others else ""
    found: list[tuple[str, str, tuple[str, ...], str]] = []
    if meta.recording:
        label, url = meta.recording
        recording = f"The recording of {short}: [{label}]({url})."
    else:
        recording = f"{short} has no recording linked on its page yet.{elsewhere}"
    found.append(
        (
            "recording",
            f"Where is the recording of {short}?",
            (
                f"How do I get the {short} recording?",
                f"Where can I watch {short}?",
                f"Is there a video of {short}?",
                "How do I get the webinar recording?",
            ),
            recording,
        )
    )
    if meta.slides:
        label, url = meta.slides
        slides = f"The slides of {short}: [{label}]({url})."
    else:
        slides = f"{short} has no slides linked on its page.{elsewhere}"
    found.append(
        (
            "slides",
            f"Where are the slides of {short}?",
            (
                "Where are the slides?",
                f"Can I get the slides from {short}?",
                f"Where is the presentation of {short}?",
            ),
            slides,
        )
    )
    if meta.host or date:
        host = f" was hosted by {meta.host}" if meta.host else " took place"
        when = f" on {date}" if date else ""
        links = f" Links: {_join(others)}." if others else ""
        found.append(
            (
                "host",
                f"Who hosted {short}?",
                (
                    f"Who was the speaker of {short}?",
                    f"Who presented {short}?",
                ),
                f"{short}{host}{when}.{links}",
            )
        )
    return found


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def is_about(entry: Entry) -> bool:
    """An entry made from a page's metadata rather than written as a question."""
    return f"#{ABOUT}" in entry.id


FORMAT = Format(
    name="webinar",
    suffixes=(".md",),
    accepts=lambda path, text: path.endswith(".md"),
    parse=parse_webinar,
    gives_tips=True,
    tip_candidate=lambda entry: not is_about(entry),
)
