"""Reading knowledge files safely, and where a file is: its id prefix and links to it."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

from bot.errors import KnowledgeError

MAX_FILE_BYTES = 5_000_000  # far above any real page; a bigger file is a mistake or an attack
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def read_text(path: Path, rel: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file; anything else is a ``KnowledgeError`` naming file and line.

    The file is opened non-blocking and checked after opening, so a FIFO or a device that
    took a file's place never hangs the loader.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise KnowledgeError(rel, 1, f"cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise KnowledgeError(rel, 1, "not a regular file; skipped")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise KnowledgeError(rel, 1, f"larger than {limit:,} bytes; not read")
    return decode(data, rel)


def decode(data: bytes, rel: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise KnowledgeError(rel, line, f"not UTF-8 text ({exc.reason})") from None


def read_list(path: Path, rel: str) -> tuple[str, ...]:
    """The lines of a list file (``tips.txt``), without blank lines and '#' comments."""
    lines = (line.strip() for line in read_text(path, rel).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


@dataclass(frozen=True, slots=True)
class FileRef:
    """One knowledge file: the source it belongs to, its id prefix and how to link to it."""

    source: str  # the source's name, first part of every id
    rel_path: str  # "01-a-day-of-ai-engineer.md", relative to the source's folder
    absolute: Path
    link_base: str | None  # where the source's folder is published; None: a file:// link

    @property
    def id_prefix(self) -> str:
        stem = PurePosixPath(self.rel_path).with_suffix("").as_posix()
        return f"{self.source}/{stem}" if self.source else stem

    @property
    def file_url(self) -> str:
        if self.link_base:
            return f"{self.link_base.rstrip('/')}/{self.rel_path}"
        return self.absolute.as_uri()

    def url(self, anchor: str) -> str:
        return f"{self.file_url}#{anchor}"

    def absolute_links(self, markdown: str) -> str:
        """Make relative links (``[Webinar 2](02-defining-the-role.md)``) work outside the file."""

        def resolve(match: re.Match[str]) -> str:
            target = match.group(2)
            if urlsplit(target).scheme or target.startswith("#"):
                return match.group(0)
            return f"[{match.group(1)}]({urljoin(self.file_url, target)})"

        return LINK.sub(resolve, markdown)
