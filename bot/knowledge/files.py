"""Reading knowledge files safely, and where a file is: its id prefix and links to it."""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from bot.errors import KnowledgeError

MAX_FILE_BYTES = 5_000_000  # far above any real page; a bigger file is a mistake or an attack
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def read_text(path: Path | str, rel: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file; anything else is a ``KnowledgeError`` naming file and line.

    The file is opened non-blocking and checked after opening, so a FIFO or a device that
    took a file's place never hangs the loader.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise KnowledgeError(rel, 1, f"cannot be read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KnowledgeError(rel, 1, "not a regular file; skipped")
        chunks = []
        wanted = min(st.st_size, limit) + 1  # not all of limit: each read allocates its size
        while wanted > 0:
            chunk = os.read(fd, wanted)
            if not chunk:
                break
            chunks.append(chunk)
            wanted = limit + 1 - sum(map(len, chunks))  # it may have grown since: read on
        data = b"".join(chunks)
    except OSError as exc:
        raise KnowledgeError(rel, 1, f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise KnowledgeError(rel, 1, f"larger than {limit:,} bytes; not read")
    return decode(data, rel)


def decode(data: bytes, rel: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise KnowledgeError(rel, line, f"not UTF-8 text ({exc.reason})") from None


def read_list(path: Path | str, rel: str) -> tuple[str, ...]:
    """The lines of a list file (``tips.txt``), without blank lines and '#' comments."""
    lines = (line.strip() for line in read_text(path, rel).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


@functools.lru_cache(maxsize=64)
def _folder_uri(folder: str) -> str:
    return Path(os.path.abspath(folder)).as_uri().rstrip("/")  # KNOWLEDGE_DIR may be relative


@dataclass(frozen=True, slots=True)
class FileRef:
    """One knowledge file: the source it belongs to, its id prefix and how to link to it.

    Paths are strings: a large FAQ has 100,000 files, and pathlib costs microseconds each.
    """

    source: str  # the source's name, first part of every id
    rel_path: str  # "_questions/llm-zoomcamp/general/001_x.md", relative to the source's root
    root: str  # the source's root folder on this machine
    link_base: str | None  # where the source's root is published; None: a file:// link

    @property
    def absolute(self) -> str:
        return os.path.join(self.root, self.rel_path)

    @property
    def id_prefix(self) -> str:
        stem = os.path.splitext(self.rel_path)[0]
        return f"{self.source}/{stem}" if self.source else stem

    @property
    def file_url(self) -> str:
        if self.link_base:
            return f"{self.link_base.rstrip('/')}/{self.rel_path}"
        return f"{_folder_uri(self.root)}/{quote(self.rel_path)}"

    def url(self, anchor: str) -> str:
        return f"{self.file_url}#{anchor}"

    def absolute_links(self, markdown: str) -> str:
        """Make relative links (``[Webinar 2](02-defining-the-role.md)``) work outside the file."""

        if "](" not in markdown:
            return markdown

        def resolve(match: re.Match[str]) -> str:
            target = match.group(2)
            if urlsplit(target).scheme or target.startswith("#"):
                return match.group(0)
            return f"[{match.group(1)}]({urljoin(self.file_url, target)})"

        return LINK.sub(resolve, markdown)
