"""The folder walk: which files of a source are read, without trusting what is on disk.

Hidden files and folders are skipped. Links are followed only to regular files inside the
source's folder; links to folders, out of the folder, in a loop or dangling are warnings, and
so is anything that is not a regular file (a FIFO named ``pipe.md`` would hang a reader).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.base import Problem

SKIPPED_FILES = frozenset({"readme.md", "license.md", "changelog.md", "contributing.md"})


@dataclass(frozen=True, slots=True)
class Found:
    rel: str  # "general/001_x.md", with forward slashes
    path: Path  # what to open: the file, or the target of a link to it
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
        digest = hashlib.blake2b(digest_size=16)
        for found in [*self.files, *self.side.values()]:
            digest.update(f"{found.rel}\0{found.mtime_ns}\0{found.size}\n".encode())
        return digest.digest()


def walk(
    root: Path, suffixes: tuple[str, ...], side_names: frozenset[str], prefix: str = ""
) -> Walk:
    """Files under ``root`` ending in one of ``suffixes``, and side files by name (any depth).

    Their paths start with ``prefix`` ("_questions/" when ``root`` is that folder of a source).
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
    stack = [(real_root, prefix)]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as listing:
                items = sorted(listing, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            result.problems.append(_warn(prefix or ".", f"folder cannot be read ({exc.strerror})"))
            continue
        for item in items:
            if item.name.startswith("."):
                continue
            rel = f"{prefix}{item.name}"
            wanted = item.name.lower() not in SKIPPED_FILES and item.name.endswith(suffixes)
            is_side = item.name in side_names
            if item.is_symlink():
                _link(item, rel, real_root, wanted or is_side, is_side, result)
            elif item.is_dir(follow_symlinks=False):
                stack.append((Path(item.path), rel + "/"))
            elif wanted or is_side:
                st = item.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode):
                    _add(result, Found(rel, Path(item.path), st.st_mtime_ns, st.st_size), is_side)
                else:
                    result.problems.append(_warn(rel, "not a regular file; skipped"))
    result.files.sort(key=lambda f: f.rel.split("/"))
    result.problems.sort(key=lambda p: p.path.split("/"))
    return result


def _add(result: Walk, found: Found, is_side: bool) -> None:
    if is_side:
        result.side[found.rel] = found
    else:
        result.files.append(found)


def _link(
    item: os.DirEntry[str], rel: str, root: Path, wanted: bool, is_side: bool, result: Walk
) -> None:
    try:
        st = os.stat(item.path)
    except OSError as exc:
        if wanted:
            why = "links to itself in a loop" if exc.errno == errno.ELOOP else "is a broken link"
            result.problems.append(_warn(rel, f"{why}; skipped"))
        return
    target = Path(os.path.realpath(item.path))
    if stat.S_ISDIR(st.st_mode):
        result.problems.append(_warn(rel, "links to a folder; links to folders are not followed"))
    elif not wanted:
        return
    elif not target.is_relative_to(root):
        result.problems.append(_warn(rel, "links outside the knowledge folder; not followed"))
    elif not stat.S_ISREG(st.st_mode):
        result.problems.append(_warn(rel, "not a regular file; skipped"))
    else:
        _add(result, Found(rel, target, st.st_mtime_ns, st.st_size), is_side)


def _warn(rel: str, message: str) -> Problem:
    return Problem(rel, 1, "warning", message)
