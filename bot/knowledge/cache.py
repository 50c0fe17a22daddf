"""The parse cache: each source's parsed files in ``DATA_DIR/knowledge/cache``, for a fast start.

A file's record is used while its path, mtime and size (and those of the side files it read)
are unchanged, and only by the same code: the key includes a hash of the knowledge package,
of the text helpers it uses, and of ``bot.models``. Files are written atomically; one that
is torn, corrupt or from other code is ignored. ``marshal`` holds only plain values, so a
crafted cache file cannot run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import logging
import marshal
import os
import sys
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.base import Problem
from bot.knowledge.formats.base import Stamp
from bot.models import Entry

log = logging.getLogger(__name__)

_MAGIC = b"qabot-knowledge-cache 1\n"
_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One knowledge file as last parsed."""

    mtime_ns: int
    size: int
    uses: tuple[tuple[str, Stamp], ...]  # side files read, with their (mtime, size) then
    format: str  # the format's name
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    failed: bool = False  # the file is broken: entries are its last good version, if any


@functools.cache
def code_version() -> str:
    """Changes whenever parsing could: the package's code, the text helpers, Entry's fields."""
    package = Path(__file__).resolve().parent
    files = sorted([*package.glob("*.py"), *package.glob("formats/*.py")])
    files += [package.parent / "models.py", package.parent / "text.py"]
    digest = hashlib.blake2b(digest_size=16)
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    digest.update(f"{sys.version}\0{marshal.version}".encode())
    return digest.hexdigest()


class ParseCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.bin"

    def read(self, name: str, key: str) -> dict[str, FileRecord]:
        """The records of source ``name`` cached under ``key``; empty when there are none."""
        try:
            data = self._path(name).read_bytes()
        except OSError:
            return {}
        try:
            return _decode(data, key)
        except Exception as exc:  # any damage means: parse again
            log.info("ignoring the knowledge cache of %s (%s)", name, type(exc).__name__)
            return {}

    def write(self, name: str, key: str, records: Mapping[str, FileRecord]) -> None:
        payload = marshal.dumps((key, [_record_tuple(rel, r) for rel, r in records.items()]))
        data = _MAGIC + zlib.crc32(payload).to_bytes(4, "big") + payload
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                os.replace(tmp, self._path(name))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:  # a read-only or full disk costs speed, nothing else
            log.warning("could not write the knowledge cache in %s: %s", self.directory, exc)


def _record_tuple(rel: str, r: FileRecord) -> tuple[Any, ...]:
    return (
        rel,
        r.mtime_ns,
        r.size,
        r.uses,
        r.format,
        r.failed,
        tuple(tuple(getattr(e, f) for f in _ENTRY_FIELDS) for e in r.entries),
        tuple((p.path, p.line, p.severity, p.message, p.source) for p in r.problems),
    )


def _decode(data: bytes, key: str) -> dict[str, FileRecord]:
    if not data.startswith(_MAGIC):
        raise ValueError("not a cache file")
    crc, payload = data[len(_MAGIC) : len(_MAGIC) + 4], data[len(_MAGIC) + 4 :]
    if zlib.crc32(payload).to_bytes(4, "big") != crc:
        raise ValueError("checksum mismatch")
    cached_key, rows = marshal.loads(payload)
    if cached_key != key:
        return {}
    records = {}
    for rel, mtime_ns, size, uses, fmt, failed, entries, problems in rows:
        records[rel] = FileRecord(
            mtime_ns,
            size,
            tuple((str(p), None if s is None else (s[0], s[1])) for p, s in uses),
            fmt,
            tuple(Entry(*e) for e in entries),
            tuple(Problem(*p) for p in problems),
            failed,
        )
    return records
