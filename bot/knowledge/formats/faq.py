"""Course-FAQ files: one entry each, YAML front matter (``id``, ``question``) and the answer.

They sit in ``<course>/<section>/*.md``; the course's ``_metadata.yaml`` names the course
and its sections for labels ("Data Engineering Zoomcamp › Module 1: Docker and Terraform").
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from bot.errors import KnowledgeError
from bot.knowledge.base import Problem
from bot.knowledge.files import FileRef, read_text
from bot.knowledge.formats.base import Format, ParseContext
from bot.knowledge.safe_yaml import load_yaml
from bot.models import Entry
from bot.text import collapse_spaces

METADATA_FILE = "_metadata.yaml"
_IMAGE_PLACEHOLDER = re.compile(r"<\{IMAGE:([\w-]+)\}>")

CourseTitles = tuple[str, dict[str, str]]  # course name, section id -> section name


def _front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    """Split ``---`` YAML front matter from the body (without splitting the whole file)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    start = text.find("\n") + 1
    position = start
    while start:
        newline = text.find("\n", position)
        end = len(text) if newline == -1 else newline
        if text[position:end].strip() == "---":
            break
        if newline == -1:
            start = 0
        position = newline + 1
    if not start:
        raise KnowledgeError(path, 1, "front matter opened with '---' is never closed")
    yaml_text = text[start : max(start, position - 1)]
    data = load_yaml(yaml_text, path, 2, what="YAML front matter")
    if not isinstance(data, dict):
        raise KnowledgeError(path, 2, "front matter must be a mapping with 'id' and 'question'")
    return data, text[end + 1 :]


def _with_images(body: str, images: Any, file: FileRef) -> str:
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
        if file.link_base and target:
            return f"[image: {label}]({file.link_base.rstrip('/')}/{target.lstrip('/')})"
        return f"[image: {label}]"

    return _IMAGE_PLACEHOLDER.sub(link, body)


def _text(value: Any) -> str:
    """A scalar as text; a list or mapping where text belongs is not an answer."""
    return value if isinstance(value, str) else str(value) if isinstance(value, int | float) else ""


def parse_faq(text: str, file: FileRef, context: ParseContext | None = None) -> list[Entry]:
    """The one entry of a course-FAQ file (front matter ``id``, ``question``; body = answer)."""
    path = file.rel_path
    data, body = _front_matter(text, path)
    missing = [key for key in ("id", "question") if not _text(data.get(key)).strip()]
    if missing:
        raise KnowledgeError(path, 2, f"front matter lacks {' and '.join(map(repr, missing))}")
    anchor = _text(data["id"]).strip()
    if "<{IMAGE" in body:
        body = _with_images(body, data.get("images"), file)
    answer = file.absolute_links(body.strip())
    return [
        Entry(
            id=f"{file.id_prefix}#{anchor}",
            question=collapse_spaces(_text(data["question"])),
            aliases=_aliases(data.get("aliases"), path),
            answer=answer,
            source_title=_label(file, context),
            source_url=file.url(anchor),
            path=path,
            line=1,
            source=file.source,
        )
    ]


def _aliases(value: Any, path: str) -> tuple[str, ...]:
    """Front matter ``aliases``: other wordings of the question (a draft from ``qabot report``
    or the digest puts the members' wordings there, the asker's of a mentor question first)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise KnowledgeError(path, 2, "front matter 'aliases' must be a list of questions")
    return tuple(dict.fromkeys(collapse_spaces(item) for item in items if item.strip()))


def _label(file: FileRef, context: ParseContext | None) -> str:
    """ "Course › Section" from ``<course>/<section>/file.md``, read inside the source only."""
    parts = file.rel_path.split("/")
    if len(parts) < 3:
        return parts[0] if len(parts) == 2 else file.source or "FAQ"
    rel = "/".join([*parts[:-2], METADATA_FILE])
    meta_path = os.path.join(file.root, rel)

    def read() -> tuple[CourseTitles, list[Problem]]:
        return _read_titles(meta_path, rel, parts[-3])

    course, sections = context.shared(meta_path, read) if context else read()[0]
    return sys.intern(f"{course} › {sections.get(parts[-2], parts[-2])}")  # one per section


def _read_titles(meta_path: str, rel: str, folder: str) -> tuple[CourseTitles, list[Problem]]:
    """Course name and section names from ``_metadata.yaml``; folder names when it is absent
    or broken (then with the problem, reported once)."""
    if not os.path.isfile(meta_path):
        return (folder, {}), []
    try:
        meta = load_yaml(read_text(meta_path, rel, limit=1_000_000), rel)
        if not isinstance(meta, dict):
            raise KnowledgeError(rel, 1, "expected a mapping with course_name and sections")
    except KnowledgeError as exc:
        return (folder, {}), [Problem(rel, exc.line, "error", exc.reason)]
    sections = {
        str(s.get("id")): str(s.get("name"))
        for s in meta.get("sections") or []
        if isinstance(s, dict) and s.get("id")
    }
    course = meta.get("course_name") or meta.get("course") or folder
    return (str(course), sections), []


FORMAT = Format(
    name="faq",
    suffixes=(".md",),
    accepts=lambda path, text: path.endswith(".md") and text.startswith("---"),
    parse=parse_faq,
    gives_tips=False,
)
