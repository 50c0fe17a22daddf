"""The folder walk: which files of a source are read, without trusting what is on disk.

Hidden files and folders are skipped. Links are followed only to regular files inside the
source's folder; links to folders, out of the folder, in a loop or dangling are warnings, and
so is anything that is not a regular file (a FIFO named ``pipe.md`` would hang a reader).
"""

from __future__ import annotations

import errno
import hashlib
import marshal
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from bot.knowledge.base import Problem

SKIPPED_FILES = frozenset({"readme.md", "license.md", "changelog.md", "contributing.md"})


class Found(NamedTuple):  # a tuple: a walk makes one per file, 100,000 in a large FAQ
    rel: str  # "general/001_x.md", with forward slashes
    path: str  # what to open: the file, or the target of a link to it
    mtime_ns: int
    size: int


@dataclass
class Walk:
    files: list[Found] = field(default_factory=list)  # knowledge files, in path order
    side: dict[str, Found] = field(default_factory=dict)  # side files by path ("tips.txt")
    problems: list[Problem] = field(default_factory=list)
    exists: bool = True

    def fingerprint(self) -> bytes:
        """Changes when any file is added, removed, edited or replaced."""
        stamps = [(f.rel, f.mtime_ns, f.size) for f in [*self.files, *self.side.values()]]
        return hashlib.blake2b(marshal.dumps(stamps), digest_size=16).digest()


def walk(
    root: Path, suffixes: tuple[str, ...], side_names: frozenset[str], prefix: str = ""
) -> Walk:
    """Files under ``root`` ending in one of ``suffixes``, and side files by name (any depth).

    Their paths start with ``prefix`` ("_questions/" when ``root`` is that folder of a source),
    in the order of their path's parts, as sorting paths would give.
    """
    result = Walk()
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError):
        result.exists = False
        return result
    if not real_root.is_dir():
        result.exists = False
        return result
    _Walker(result, str(real_root), suffixes, side_names).folder(str(real_root), prefix)
    result.problems.sort(key=lambda p: p.path.split("/"))
    return result


class _Walker:
    def __init__(
        self, result: Walk, root: str, suffixes: tuple[str, ...], side_names: frozenset[str]
    ) -> None:
        self.result = result
        self.root = root + os.sep
        self.suffixes = suffixes
        self.side_names = side_names

    def folder(self, directory: str, prefix: str) -> None:
        try:
            with os.scandir(directory) as listing:
                items = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self.result.problems.append(
                _warn(prefix or ".", f"folder cannot be read ({exc.strerror})")
            )
            return
        for item in items:
            name = item.name
            if name[0] == ".":
                continue
            rel = prefix + name
            wanted = name.endswith(self.suffixes) and name.lower() not in SKIPPED_FILES
            is_side = name in self.side_names
            if item.is_dir(follow_symlinks=False):
                self.folder(item.path, rel + "/")
            elif item.is_symlink():
                self.link(item, rel, wanted or is_side, is_side)
            elif wanted or is_side:
                st = item.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode):
                    self.add(Found(rel, item.path, st.st_mtime_ns, st.st_size), is_side)
                else:
                    self.result.problems.append(_warn(rel, "not a regular file; skipped"))

    def add(self, found: Found, is_side: bool) -> None:
        if is_side:
            self.result.side[found.rel] = found
        else:
            self.result.files.append(found)

    def link(self, item: os.DirEntry[str], rel: str, wanted: bool, is_side: bool) -> None:
        problems = self.result.problems
        try:
            st = os.stat(item.path)
        except OSError as exc:
            if wanted:
                why = (
                    "links to itself in a loop" if exc.errno == errno.ELOOP else "is a broken link"
                )
                problems.append(_warn(rel, f"{why}; skipped"))
            return
        target = os.path.realpath(item.path)
        if stat.S_ISDIR(st.st_mode):
            problems.append(_warn(rel, "links to a folder; links to folders are not followed"))
        elif not wanted:
            return
        elif not target.startswith(self.root):
            problems.append(_warn(rel, "links outside the knowledge folder; not followed"))
        elif not stat.S_ISREG(st.st_mode):
            problems.append(_warn(rel, "not a regular file; skipped"))
        else:
            self.add(Found(rel, target, st.st_mtime_ns, st.st_size), is_side)


def _warn(rel: str, message: str) -> Problem:
    return Problem(rel, 1, "warning", message)
