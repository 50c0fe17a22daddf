"""The matcher cache: a built matcher's arrays in ``DATA_DIR/matcher``, for a fast start.

Building a matcher reads every entry: its words for the index, its passages for the vectors.
At 10,000 entries that is seconds of CPU, and a sentence model's vectors are minutes. An
unchanged knowledge starts from the arrays built last time instead: the index postings, the
entries' vectors and the questions' words, one ``.npy`` file each, large ones memory-mapped
(only the rows a question touches are read).

A cache is used only for the same entry texts, the same encoder (its identity) and the same
code: the key hashes all three. Each cache is a folder written under a temporary name and
renamed when complete, so a reader never sees half of one. ``.npy`` files are read with
``allow_pickle=False``: a crafted file cannot run code. A folder that cannot be read is
ignored with a warning, and the matcher is built again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import marshal
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.knowledge import KnowledgeBase
from bot.matching import Matcher, off_topic_examples
from bot.meaning import MeaningEncoder
from bot.models import Entry
from bot.semantic import CachedEncoder
from bot.sentence_model import SentenceModel
from bot.word_vectors import load_word_vectors

log = logging.getLogger(__name__)

FORMAT = "qabot-matcher-cache 1"
KEY_FILE = "key"
MAP_BYTES = 1 << 20  # arrays larger than this are memory-mapped, smaller ones read
# Everything a built matcher depends on besides the entries and the encoder.
_CODE = ("index.py", "matching.py", "entry_vectors.py", "text.py", "models.py", "off_topic.py")


@functools.cache
def code_version() -> str:
    """Changes whenever a built matcher could: its modules, Python and NumPy."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for name in (*_CODE, Path(__file__).name):
        digest.update(name.encode() + b"\0" + (package / name).read_bytes())
    digest.update(f"{sys.version}\0{np.__version__}\0{FORMAT}".encode())
    return digest.hexdigest()


def mode_name(encoder: MeaningEncoder | None) -> str:
    """A file-name-safe name of the matching: ``lexical``, ``word-vectors``, the model's."""
    name = Path(encoder.name).name if encoder is not None else "lexical"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60] or "model"


def cache_key(knowledge: KnowledgeBase, encoder: MeaningEncoder | None) -> str:
    """A digest of what a matcher reads of each entry, the encoder's identity and the code."""
    digest = hashlib.blake2b(digest_size=20)
    identity = encoder.identity if encoder is not None else "lexical"
    digest.update(f"{code_version()}\0{identity}\0{len(knowledge.entries)}\0".encode())
    for e in knowledge.entries:
        fields = (e.id, e.question, "\x1e".join(e.aliases), e.answer, e.source_title)
        digest.update("\x1f".join(fields).encode() + b"\0")
    digest.update("\x1f".join(off_topic_examples(knowledge)).encode())
    return digest.hexdigest()


class MatcherCache:
    """Built matchers in ``directory``: one folder per matching mode and knowledge."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _folder(self, mode: str, key: str) -> Path:
        return self.directory / f"{mode}-{key[:24]}"

    def load(
        self, knowledge: KnowledgeBase, threshold: float, encoder: MeaningEncoder | None
    ) -> Matcher | None:
        """The matcher built earlier for this knowledge and encoder; None when there is none,
        or it cannot be read (logged: it will be built and written again)."""
        key = cache_key(knowledge, encoder)
        folder = self._folder(mode_name(encoder), key)
        try:
            if (folder / KEY_FILE).read_text() != key:
                return None
            state = {path.stem: _read_array(path) for path in folder.glob("*.npy")}
            return Matcher.from_state(knowledge, threshold, encoder, state)
        except FileNotFoundError:
            return None
        except Exception as exc:  # damaged or foreign: build again
            log.warning("ignoring the unreadable matcher cache %s: %s", folder, exc)
            return None

    def save(self, matcher: Matcher) -> Path | None:
        """Write ``matcher``'s arrays; remove the mode's caches of other knowledge. A full or
        read-only disk costs speed at the next start, nothing else: logged, None."""
        key = cache_key(matcher.knowledge, matcher.encoder)
        mode = mode_name(matcher.encoder)
        folder = self._folder(mode, key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            partial = Path(tempfile.mkdtemp(dir=self.directory, prefix=f".{mode}-"))
            try:
                for name, array in matcher.state().items():
                    np.save(partial / f"{name}.npy", np.asarray(array), allow_pickle=False)
                (partial / KEY_FILE).write_text(key)  # last: a folder with it is complete
                if folder.exists():  # damaged, or written meanwhile by another process
                    shutil.rmtree(folder, ignore_errors=True)
                os.rename(partial, folder)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
        except OSError as exc:
            log.warning("could not write the matcher cache in %s: %s", self.directory, exc)
            return None
        for old in self.directory.glob(f"{mode}-*"):
            if old != folder:  # a process still mapping its files keeps them until it ends
                with contextlib.suppress(OSError):
                    shutil.rmtree(old)
        return folder


def _read_array(path: Path) -> np.ndarray:
    big = path.stat().st_size > MAP_BYTES
    array = np.load(path, mmap_mode="r" if big else None, allow_pickle=False)
    return np.asarray(array)


# --- building in another process -------------------------------------------------------------
#
# A build holds the GIL for long stretches (NumPy sorts, regular expressions over whole answers):
# run in a thread, it stalled the event loop for 170-300 ms at 10,000 entries. Another process
# builds and writes the cache instead; this one only reads it back, a few milliseconds at a time.

_CHUNK = 500  # entries per marshal chunk: each dump is one short call holding the GIL
_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))


def encoder_recipe(encoder: MeaningEncoder | None) -> tuple[str, ...] | None:
    """How another process opens the same encoder; None when it cannot (e.g. a test's)."""
    if encoder is None:
        return ("off",)
    if encoder is load_word_vectors():
        return ("word-vectors",)
    if isinstance(encoder, CachedEncoder) and isinstance(encoder.encoder, SentenceModel):
        return ("sentence", str(encoder.encoder.folder), str(encoder.path.parent))
    return None


def _open_recipe(recipe: tuple[str, ...]) -> MeaningEncoder | None:
    if recipe[0] == "off":
        return None
    if recipe[0] == "word-vectors":
        return load_word_vectors()
    return CachedEncoder(SentenceModel(Path(recipe[1])), Path(recipe[2]))


def write_knowledge(knowledge: KnowledgeBase, path: Path) -> None:
    """The entries and off-topic examples, a chunk at a time (call it in a thread)."""
    entries = knowledge.entries
    with path.open("wb") as file:
        marshal.dump((len(entries), knowledge.off_topic), file)
        for start in range(0, len(entries), _CHUNK):
            rows = [
                tuple([getattr(e, f) for f in _ENTRY_FIELDS])
                for e in entries[start : start + _CHUNK]
            ]
            marshal.dump(rows, file)


def read_knowledge(path: Path) -> KnowledgeBase:
    with path.open("rb") as file:
        count, off_topic = marshal.load(file)
        entries: list[Entry] = []
        while len(entries) < count:
            entries += [Entry(*row) for row in marshal.load(file)]
    return KnowledgeBase(tuple(entries), off_topic=tuple(off_topic))


def build_and_save(
    knowledge_file: Path, directory: Path, threshold: float, recipe: Sequence[str]
) -> Path:
    """In the child process: build the matcher of the knowledge in ``knowledge_file`` and
    write it to the cache in ``directory``; the folder written."""
    knowledge = read_knowledge(knowledge_file)
    matcher = Matcher(knowledge, threshold, _open_recipe(tuple(recipe)))
    folder = MatcherCache(directory).save(matcher)
    if folder is None:
        raise OSError(f"could not write the matcher cache in {directory}")
    return folder


async def build_elsewhere(
    cache: MatcherCache,
    knowledge: KnowledgeBase,
    threshold: float,
    encoder: MeaningEncoder | None,
) -> Matcher | None:
    """Build in a child process (``python -m bot.matcher_cache``), then read the result back;
    None when this encoder cannot be opened there, or the child failed (logged): the caller
    builds in a thread then. Nothing here waits on the event loop's thread."""
    recipe = encoder_recipe(encoder)
    if recipe is None:
        return None
    try:
        cache.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(dir=cache.directory, prefix=".knowledge-", suffix=".bin")
        os.close(fd)
        try:
            await asyncio.to_thread(write_knowledge, knowledge, Path(name))
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                __name__,
                name,
                str(cache.directory),
                repr(threshold),
                json.dumps(recipe),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, errors = await child.communicate()
            if child.returncode != 0:
                lines = errors.decode(errors="replace").strip().splitlines()
                raise RuntimeError(lines[-1] if lines else f"exit status {child.returncode}")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)
    except Exception as exc:  # any failure there: build here instead
        log.warning("building the matcher in another process failed (%s): building here", exc)
        return None
    return await asyncio.to_thread(cache.load, knowledge, threshold, encoder)


def main(argv: Sequence[str]) -> int:
    """``python -m bot.matcher_cache KNOWLEDGE_FILE DIRECTORY THRESHOLD RECIPE``."""
    knowledge_file, directory, threshold, recipe = argv
    build_and_save(Path(knowledge_file), Path(directory), float(threshold), json.loads(recipe))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
