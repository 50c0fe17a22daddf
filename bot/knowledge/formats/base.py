"""What a knowledge format is, and what parsing one file may share with the others of a load."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from bot.knowledge.base import Problem
from bot.knowledge.files import FileRef
from bot.models import Entry

T = TypeVar("T")
Stamp = tuple[int, int] | None  # (mtime in ns, size) of a file, None when it does not exist


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class ParseContext:
    """Shared by the files of one source during one load.

    A format reads side files (a course's ``_metadata.yaml``) through ``shared``, once per
    load; each use is recorded so a cached file is parsed again when its side file changes.
    Problems of a side file are reported with every file that uses it (the loader keeps one).
    """

    def __init__(self) -> None:
        self._shared: dict[str, tuple[object, list[Problem]]] = {}
        self._stamps: dict[str, Stamp] = {}
        self.uses: list[tuple[str, Stamp]] = []  # side files the current file depends on
        self.problems: list[Problem] = []  # problems of those side files

    def start_file(self) -> None:
        self.uses, self.problems = [], []

    def stamp(self, path: str) -> Stamp:
        if path not in self._stamps:
            self._stamps[path] = stamp(path)
        return self._stamps[path]

    def shared(self, path: str, read: Callable[[], tuple[T, list[Problem]]]) -> T:
        """``read()`` once per load for the side file at ``path``; the current file uses it."""
        self.uses.append((path, self.stamp(path)))
        if path not in self._shared:
            self._shared[path] = read()
        value, problems = self._shared[path]
        self.problems.extend(problems)
        return cast(T, value)


Parse = Callable[[str, FileRef, ParseContext], list[Entry]]


@dataclass(frozen=True, slots=True)
class Format:
    """One kind of knowledge file. ``bot.knowledge.formats.FORMATS`` lists them in order."""

    name: str
    suffixes: tuple[str, ...]  # file name endings the folder walk collects for this format
    accepts: Callable[[str, str], bool]  # (path in the source, text) -> is it this format?
    parse: Parse  # raises KnowledgeError with file and line
    gives_tips: bool  # a source's default when its spec says neither tips=on nor tips=off
    tip_candidate: Callable[[Entry], bool] = lambda entry: True  # e.g. not a generated entry
