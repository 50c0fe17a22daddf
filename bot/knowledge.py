"""Knowledge files -> entries: webinar Q&A pages and course-FAQ files with YAML front matter.

Parsing is pure (``parse_webinar``, ``parse_faq``); ``load_knowledge`` and ``check_knowledge``
read a folder. Errors name the file and line; warnings (duplicates, placeholders) are collected.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urljoin, urlsplit

import yaml

from bot.errors import KnowledgeError
from bot.models import Entry
from bot.text import collapse_spaces, fold, github_slug

try:
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _YamlLoader = yaml.SafeLoader

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_IMAGE_PLACEHOLDER = re.compile(r"<\{IMAGE:([\w-]+)\}>")
_SKIPPED_FILES = {"readme.md", "license.md", "changelog.md", "contributing.md"}
TIPS_FILE = "tips.txt"
OFF_TOPIC_FILE = "off-topic.txt"


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    severity: Literal["error", "warning"]
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] = ()
    curated_tips: tuple[str, ...] = ()  # entry ids from tips.txt, posted before the rest
    off_topic: tuple[str, ...] = ()  # messages from off-topic.txt this knowledge does not answer
    _by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {entry.id: entry for entry in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True, slots=True)
class _Source:
    """Where a file lives: its id prefix and how to build links to it."""

    rel_path: str  # "webinars/01-a-day-of-ai-engineer.md"
    base_url: str | None
    absolute: Path

    @property
    def id_prefix(self) -> str:
        return self.rel_path.removesuffix(".md")

    def url(self, anchor: str) -> str:
        return f"{self.file_url}#{anchor}"

    @property
    def file_url(self) -> str:
        if self.base_url:
            return f"{self.base_url.rstrip('/')}/{self.rel_path}"
        return self.absolute.as_uri()

    def absolute_links(self, markdown: str) -> str:
        """Make relative links (``[Webinar 2](02-defining-the-role.md)``) work outside the file."""

        def resolve(match: re.Match[str]) -> str:
            target = match.group(2)
            if urlsplit(target).scheme or target.startswith("#"):
                return match.group(0)
            return f"[{match.group(1)}]({urljoin(self.file_url, target)})"

        return _LINK.sub(resolve, markdown)


# --- webinar files ---------------------------------------------------------------------------


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


def _webinar_metadata(lines: list[str]) -> dict[str, str]:
    """The '- Date: ...' / '- [Recording on YouTube](url)' bullets under the title."""
    meta: dict[str, str] = {}
    for line in lines:
        item = line.strip()
        if not item.startswith(("- ", "* ")):
            continue
        item = item[2:].strip()
        link = _LINK.fullmatch(item)
        if link:
            label = fold(link.group(1))
            if "recording" in label or "youtube" in label or "video" in label:
                meta["recording"] = link.group(2)
            continue
        key, sep, value = item.partition(":")
        if sep:
            meta[key.strip().lower()] = _LINK.sub(r"\1", value).strip()
    return meta


def parse_webinar(text: str, source: _Source) -> list[Entry]:
    """Entries of a webinar page: every ``###`` heading inside a ``## ... Q&A ...`` section."""
    path = source.rel_path
    try:
        lines = list(_markdown_lines(text))
    except ValueError as exc:
        line, _, message = str(exc).partition(":")
        raise KnowledgeError(path, int(line), message) from None

    title: str | None = None
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
            title = heading_text
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

    meta = _webinar_metadata(meta_lines)
    date = meta.get("date")
    source_title = f"{title} ({date})" if date else title
    entries = []
    for question, anchor, number, body_lines in raw:
        answer = source.absolute_links("\n".join(body_lines).strip())
        if not answer:
            raise KnowledgeError(path, number, f"empty answer under '### {question}'")
        entries.append(
            Entry(
                id=f"{source.id_prefix}#{anchor}",
                question=question,
                answer=answer,
                source_title=source_title,
                source_url=source.url(anchor),
                path=path,
                line=number,
                recording_url=meta.get("recording"),
                date=date,
            )
        )
    return entries


# --- course FAQ files ------------------------------------------------------------------------


def _front_matter(text: str, path: str) -> tuple[dict[str, Any], str, int]:
    """Split ``---`` YAML front matter from the body; returns (data, body, body's first line)."""
    lines = text.splitlines()
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise KnowledgeError(path, 1, "front matter opened with '---' is never closed") from None
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=_YamlLoader)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(path, line, f"invalid YAML front matter: {reason}") from None
    if not isinstance(data, dict):
        raise KnowledgeError(path, 2, "front matter must be a mapping with 'id' and 'question'")
    return data, "\n".join(lines[end + 1 :]), end + 2


def _with_images(body: str, images: Any, source: _Source) -> str:
    """Replace ``<{IMAGE:image_1}>`` placeholders with a markdown link to the image."""
    described = {}
    for image in images if isinstance(images, list) else []:
        if isinstance(image, dict) and "id" in image:
            described[str(image["id"])] = image
    if not described:
        return body

    def link(match: re.Match[str]) -> str:
        image = described.get(match.group(1))
        if image is None:
            return ""
        label = collapse_spaces(str(image.get("description") or "image"))[:120]
        target = str(image.get("path") or "")
        if source.base_url and target:
            return f"[image: {label}]({source.base_url.rstrip('/')}/{target.lstrip('/')})"
        return f"[image: {label}]"

    return _IMAGE_PLACEHOLDER.sub(link, body)


def parse_faq(text: str, source: _Source, section_title: str) -> Entry:
    """The one entry of a course-FAQ file (front matter ``id``, ``question``; body = answer)."""
    path = source.rel_path
    data, body, _ = _front_matter(text, path)
    missing = [key for key in ("id", "question") if not str(data.get(key) or "").strip()]
    if missing:
        raise KnowledgeError(path, 2, f"front matter lacks {' and '.join(map(repr, missing))}")
    anchor = str(data["id"]).strip()
    answer = source.absolute_links(_with_images(body, data.get("images"), source).strip())
    return Entry(
        id=f"{source.id_prefix}#{anchor}",
        question=collapse_spaces(str(data["question"])),
        answer=answer,
        source_title=section_title,
        source_url=source.url(anchor),
        path=path,
        line=1,
    )


@lru_cache(maxsize=64)
def _course_titles(course_dir: Path) -> tuple[str, dict[str, str]]:
    """Course name and section names from ``_metadata.yaml`` (folder names when absent)."""
    meta_path = course_dir / "_metadata.yaml"
    if not meta_path.is_file():
        return course_dir.name, {}
    try:
        meta = yaml.load(meta_path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise KnowledgeError(
            meta_path, mark.line + 1 if mark else 1, f"invalid YAML: {exc}"
        ) from None
    if not isinstance(meta, dict):
        raise KnowledgeError(meta_path, 1, "expected a mapping with course_name and sections")
    sections = {
        str(s.get("id")): str(s.get("name"))
        for s in meta.get("sections") or []
        if isinstance(s, dict) and s.get("id")
    }
    return str(meta.get("course_name") or meta.get("course") or course_dir.name), sections


# --- folders ---------------------------------------------------------------------------------


def _knowledge_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.rglob("*.md")
        if p.name.lower() not in _SKIPPED_FILES
        and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )


def _is_placeholder(entry: Entry) -> bool:
    return fold(entry.question).strip(" ?") in {"question", ""} or fold(entry.answer) in {
        "answer",
        "",
        "tbd",
        "todo",
    }


def _parse_file(file: Path, directory: Path, base_url: str | None) -> list[Entry]:
    rel = file.relative_to(directory).as_posix()
    source = _Source(rel, base_url, file.resolve())
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(rel, 1, f"not UTF-8 text ({exc.reason})") from None
    if text.startswith("---"):
        course_dir = file.parent.parent
        course, sections = _course_titles(course_dir)
        section = sections.get(file.parent.name, file.parent.name)
        return [parse_faq(text, source, f"{course} › {section}")]
    return parse_webinar(text, source)


def _review(entries: list[Entry]) -> tuple[list[Entry], list[Problem]]:
    """Drop placeholders and repeated ids; report them and duplicate questions."""
    problems: list[Problem] = []
    kept: list[Entry] = []
    seen_ids: dict[str, Entry] = {}
    seen_questions: dict[str, Entry] = {}
    for entry in entries:
        if _is_placeholder(entry):
            problems.append(Problem(entry.path, entry.line, "warning", "placeholder entry skipped"))
            continue
        if entry.id in seen_ids:
            first = seen_ids[entry.id]
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    "error",
                    f"duplicate id {entry.id!r} (first at {first.path}:{first.line}); skipped",
                )
            )
            continue
        seen_ids[entry.id] = entry
        # The same question in two courses is fine; within one course it is a duplicate.
        scope = entry.source_title.partition(" › ")[0] if " › " in entry.source_title else ""
        key = scope + "\0" + collapse_spaces(fold(entry.question)).strip(" ?")
        if key in seen_questions:
            first = seen_questions[key]
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    "warning",
                    f"duplicate question, also at {first.path}:{first.line}: {entry.question!r}",
                )
            )
        else:
            seen_questions[key] = entry
        kept.append(entry)
    return kept, problems


def _broken_links(directory: Path) -> list[Problem]:
    """Relative links to files that are not in the folder: they break once published."""
    problems = []
    for file in _knowledge_files(directory):
        rel = file.relative_to(directory).as_posix()
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            for match in _LINK.finditer(line):
                target = match.group(2).split("#", 1)[0]
                if not target or urlsplit(target).scheme or target.startswith("/"):
                    continue
                if not (file.parent / unquote(target)).exists():
                    problems.append(
                        Problem(rel, number, "warning", f"link to {target!r}: no such file here")
                    )
    return problems


def _listed(path: Path) -> tuple[str, ...]:
    """The lines of an optional list file, without blank lines and '#' comments."""
    if not path.is_file():
        return ()
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def _curated_tips(directory: Path) -> tuple[str, ...]:
    """Entry ids listed in ``tips.txt``, one per line."""
    return _listed(directory / TIPS_FILE)


def _off_topic(directory: Path) -> tuple[str, ...]:
    """Messages listed in ``off-topic.txt``, one per line, that the knowledge does not answer."""
    return _listed(directory / OFF_TOPIC_FILE)


def _scan(
    directory: Path, base_url: str | None, *, strict: bool
) -> tuple[list[Entry], list[Problem]]:
    if not directory.is_dir():
        if strict:
            raise KnowledgeError(directory, 0, "knowledge folder not found")
        return [], [Problem(str(directory), 0, "error", "knowledge folder not found")]
    entries: list[Entry] = []
    problems: list[Problem] = []
    for file in _knowledge_files(directory):
        try:
            found = _parse_file(file, directory, base_url)
        except KnowledgeError as exc:
            if strict:
                raise
            problems.append(Problem(exc.path.as_posix(), exc.line, "error", exc.reason))
            continue
        if not found:
            rel = file.relative_to(directory).as_posix()
            problems.append(Problem(rel, 1, "warning", "no Q&A entries in this file"))
        entries.extend(found)
    kept, review = _review(entries)
    _course_titles.cache_clear()  # metadata may change between loads
    return kept, problems + review


def load_knowledge(directory: Path | str, *, base_url: str | None = None) -> KnowledgeBase:
    """Load every knowledge file under ``directory``; the first malformed file raises."""
    directory = Path(directory)
    entries, problems = _scan(directory, base_url, strict=True)
    return KnowledgeBase(
        directory,
        tuple(entries),
        tuple(problems),
        _curated_tips(directory),
        _off_topic(directory),
    )


def check_knowledge(directory: Path | str, *, base_url: str | None = None) -> list[Problem]:
    """Every problem in a knowledge folder, errors and warnings, without stopping at the first."""
    directory = Path(directory)
    entries, problems = _scan(directory, base_url, strict=False)
    if directory.is_dir() and not entries:
        problems.append(Problem(str(directory), 0, "error", "no entries found"))
    if directory.is_dir():
        problems.extend(_broken_links(directory))
    known = {e.id for e in entries}
    for tip in _curated_tips(directory):
        if tip not in known:
            problems.append(Problem(TIPS_FILE, 0, "error", f"tips.txt names unknown entry {tip!r}"))
    return problems
