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
from typing import Any, BinaryIO

from bot.knowledge.base import Problem
from bot.knowledge.formats.base import Stamp
from bot.models import Entry

log = logging.getLogger(__name__)

_MAGIC = b"qabot-knowledge-cache 2\n"
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
    """One file per source: a header, then chunks of records, each with its length and CRC,
    so a large source is read and written a few megabytes at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.bin"

    def read(self, name: str, key: str) -> dict[str, FileRecord]:
        """The records of source ``name`` cached under ``key``; empty when there are none."""
        try:
            with self._path(name).open("rb") as file:
                return _read_records(file, key)
        except FileNotFoundError:
            return {}
        except Exception as exc:  # any damage means: parse again
            log.info("ignoring the knowledge cache of %s (%s)", name, type(exc).__name__)
            return {}

    def write(self, name: str, key: str, records: Mapping[str, FileRecord]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.")
            try:
                with os.fdopen(fd, "wb") as file:
                    _write_records(file, key, records)
                os.replace(tmp, self._path(name))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:  # a read-only or full disk costs speed, nothing else
            log.warning("could not write the knowledge cache in %s: %s", self.directory, exc)


_CHUNK = 2_000  # records per chunk


def _write_chunk(file: BinaryIO, value: Any) -> None:
    payload = marshal.dumps(value)
    file.write(len(payload).to_bytes(8, "big") + zlib.crc32(payload).to_bytes(4, "big"))
    file.write(payload)


def _read_chunk(file: BinaryIO) -> Any:
    head = file.read(12)
    if len(head) != 12:
        raise ValueError("torn")
    size, crc = int.from_bytes(head[:8], "big"), head[8:]
    payload = file.read(size)
    if len(payload) != size or zlib.crc32(payload).to_bytes(4, "big") != crc:
        raise ValueError("checksum mismatch")
    return marshal.loads(payload)


def _write_records(file: BinaryIO, key: str, records: Mapping[str, FileRecord]) -> None:
    file.write(_MAGIC)
    _write_chunk(file, (key, len(records)))
    rows = [_record_tuple(rel, r) for rel, r in records.items()]
    for start in range(0, len(rows), _CHUNK):
        _write_chunk(file, rows[start : start + _CHUNK])


def _read_records(file: BinaryIO, key: str) -> dict[str, FileRecord]:
    if file.read(len(_MAGIC)) != _MAGIC:
        raise ValueError("not a cache file")
    cached_key, count = _read_chunk(file)
    if cached_key != key:
        return {}
    records: dict[str, FileRecord] = {}
    while len(records) < count:
        for rel, mtime_ns, size, uses, fmt, failed, entries, problems in _read_chunk(file):
            records[rel] = FileRecord(
                mtime_ns,
                size,
                uses,  # marshal gives back the tuples it was given
                fmt,
                tuple([Entry(*e) for e in entries]),
                tuple([Problem(*p) for p in problems]) if problems else (),
                failed,
            )
    return records


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
