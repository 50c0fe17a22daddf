"""Building a ``KnowledgeBase`` from sources, re-parsing only what changed since the last load.

``KnowledgeLoader.load`` never raises for a bad file: a file broken mid-edit keeps its last
good entries (from this process, or the parse cache) and is reported with file and line; a
source whose folder disappeared keeps what it had. ``load_knowledge`` is the strict form the
command line uses: it raises ``KnowledgeError`` for the first file that cannot be read.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.aliases import add_aliases
from bot.errors import KnowledgeError
from bot.knowledge.alias_file import ALIASES_FILE, read_aliases
from bot.knowledge.base import KnowledgeBase, Problem
from bot.knowledge.cache import FileRecord, ParseCache, code_version
from bot.knowledge.files import FileRef, read_list, read_text
from bot.knowledge.formats import SUFFIXES, ParseContext, format_for, format_named
from bot.knowledge.git import GitSource, RefreshState
from bot.knowledge.review import review
from bot.knowledge.sources import FolderSource, Source, SourceSpec, check_names, folder_spec
from bot.knowledge.tipworthy import makes_a_tip
from bot.knowledge.walk import Found, Walk, walk
from bot.models import Entry

log = logging.getLogger(__name__)

TIPS_FILE = "tips.txt"
OFF_TOPIC_FILE = "off-topic.txt"
SIDE_FILES = frozenset({TIPS_FILE, OFF_TOPIC_FILE, ALIASES_FILE, "_metadata.yaml"})


def open_source(spec: SourceSpec, data_dir: Path | None, base_url: str | None = None) -> Source:
    if spec.kind == "git":
        if data_dir is None:
            raise ValueError(f"source {spec.name}: a git source needs DATA_DIR to clone into")
        return GitSource(spec, data_dir, base_url)
    return FolderSource(spec, base_url)


@dataclass
class _Part:
    """One source as last loaded."""

    records: dict[str, FileRecord] = field(default_factory=dict)
    fingerprint: bytes = b""
    curated: tuple[str, ...] = ()
    off_topic: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[Problem] = field(default_factory=list)  # what strict loading raises for
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # from aliases.yaml


class KnowledgeLoader:
    """Loads knowledge from sources; keeps what it parsed so a reload re-parses only changes.

    ``load``, ``changed`` and ``refresh`` may run in a worker thread; one lock serialises them,
    so a git checkout never happens during a walk.
    """

    def __init__(
        self,
        specs: Sequence[SourceSpec],
        *,
        data_dir: Path | None = None,
        base_url: str | None = None,
        cache: bool = True,
        log_problems: bool = True,
    ) -> None:
        check_names(tuple(specs))
        self._log_problems = log_problems  # qabot check prints them instead
        self._raising = False
        self.sources: tuple[Source, ...] = tuple(open_source(s, data_dir, base_url) for s in specs)
        self._cache = ParseCache(data_dir / "knowledge" / "cache") if cache and data_dir else None
        self._parts: dict[str, _Part] = {}
        self._last: KnowledgeBase | None = None
        self._lock = threading.Lock()
        self._walk_seconds: dict[str, float] = {}  # by source: what a poll costs

    @property
    def refresh_states(self) -> dict[str, RefreshState]:
        """Git sources' state, by source name, for metrics."""
        return {s.spec.name: s.state for s in self.sources if isinstance(s, GitSource)}

    @property
    def poll_interval(self) -> float:
        """Seconds between ``changed()`` calls that keep polling under about 2 % of a core."""
        return min(60.0, max(2.0, self.walk_seconds * 50))

    @property
    def walk_seconds(self) -> float:
        """What walking every folder source took last time."""
        return sum(self._walk_seconds.values())

    def load(self, *, strict: bool = False) -> KnowledgeBase:
        """All sources as they are now. With ``strict``, an unreadable file raises instead."""
        with self._lock, _no_gc_pauses():
            self._raising = strict  # errors are raised then, not logged as well
            for source in self.sources:
                self._parts[source.spec.name] = self._load_source(source)
            knowledge = self._build()
            if strict:
                unreadable = [p for s in self.sources for p in self._parts[s.spec.name].unreadable]
                if unreadable:
                    first = unreadable[0]
                    path = first.located() if len(self.sources) > 1 else first.path
                    raise KnowledgeError(path, first.line, first.message)
            self._last = knowledge
            return knowledge

    def changed(self) -> bool:
        """Whether a folder source's files changed since the last load (a walk, no reading)."""
        with self._lock:
            for source in self.sources:
                if isinstance(source, GitSource):
                    continue  # a git copy changes only through refresh()
                part = self._parts.get(source.spec.name)
                if part is None or self._walk(source).fingerprint() != part.fingerprint:
                    return True
            return False

    def refresh(self) -> bool:
        """Fetch every git source; True when one of them changed (then load again)."""
        with self._lock:
            return any([s.refresh() for s in self.sources if isinstance(s, GitSource)])

    def _walk(self, source: Source) -> Walk:
        started = time.perf_counter()
        found = walk(source.folder, SUFFIXES, SIDE_FILES, walk_prefix(source))
        self._walk_seconds[source.spec.name] = time.perf_counter() - started
        return found

    def _cache_key(self, source: Source) -> str:
        return f"{code_version()}\0{source.root.resolve()}\0{source.link_base}"

    def _load_source(self, source: Source) -> _Part:
        name = source.spec.name
        previous = self._parts.get(name)
        trouble = source.ensure()
        found = self._walk(source)
        if not found.exists:
            problem = Problem(str(source.folder), 0, "error", "knowledge folder not found", name)
            kept = previous or _Part()
            if previous and previous.records:  # renamed mid-deploy: keep answering
                problem = Problem(
                    str(source.folder),
                    0,
                    "error",
                    "knowledge folder not found; answering from its last good version",
                    name,
                )
            return _Part(kept.records, b"", kept.curated, kept.off_topic, [problem], [problem])
        cached = previous.records if previous else None
        if cached is None and self._cache is not None:
            cached = self._cache.read(name, self._cache_key(source))
        cached = cached or {}
        records, changed = self._parse_files(source, found, cached)
        if self._cache is not None and (changed or records.keys() != cached.keys()):
            self._cache.write(name, self._cache_key(source), records)
        part = _Part(records, found.fingerprint())
        part.problems += [
            Problem(p.path, p.line, p.severity, p.message, name) for p in found.problems
        ]
        # Skipped files (a FIFO, a link out of the folder) are said once, not at every reload.
        for problem in set(part.problems) - set(previous.problems if previous else ()):
            self._log(problem)
        if trouble is not None:
            part.problems.append(trouble)
            if trouble.severity == "error":
                part.unreadable.append(trouble)
        for record in records.values():
            if record.failed:
                part.unreadable += [p for p in record.problems if p.severity == "error"]
        part.curated = self._list_file(found, TIPS_FILE, source, part)
        part.off_topic = self._list_file(found, OFF_TOPIC_FILE, source, part)
        part.aliases = self._aliases_file(found, source, part)
        return part

    def _parse_files(
        self, source: Source, found: Walk, cached: dict[str, FileRecord]
    ) -> tuple[dict[str, FileRecord], bool]:
        context = ParseContext()
        records: dict[str, FileRecord] = {}
        changed = False
        root, link_base = str(source.root), source.link_base
        for file in found.files:
            old = cached.get(file.rel)
            if old is not None and old.mtime_ns == file.mtime_ns and old.size == file.size:
                for path, stamp in old.uses:
                    if context.stamp(path) != stamp:
                        break
                else:
                    records[file.rel] = old
                    continue
            changed = True
            ref = FileRef(source.spec.name, file.rel, root, link_base)
            records[file.rel] = self._parse_file(ref, file, old, context)
        return records, changed

    def _parse_file(
        self, ref: FileRef, file: Found, old: FileRecord | None, context: ParseContext
    ) -> FileRecord:
        name = ref.source
        context.start_file()
        fmt_name = ""
        try:
            text = read_text(file.path, file.rel)
            fmt = format_for(file.rel, text)
            if fmt is None:
                return FileRecord(file.mtime_ns, file.size, (), "", (), ())
            fmt_name = fmt.name
            entries = tuple(fmt.parse(text, ref, context))
        except KnowledgeError as exc:
            error = Problem(file.rel, exc.line, "error", exc.reason, name)
            last_good = old.entries if old is not None else ()
            if last_good:
                error = Problem(
                    file.rel,
                    exc.line,
                    "error",
                    f"{exc.reason} (answering from its last good version)",
                    name,
                )
            self._log(error)  # parsed again only when changed: said once per change
            return FileRecord(
                file.mtime_ns,
                file.size,
                tuple(context.uses),
                old.format if old else fmt_name,
                last_good,
                (error,),
                failed=True,
            )
        problems = [Problem(p.path, p.line, p.severity, p.message, name) for p in context.problems]
        if not entries and not problems:
            problems.append(Problem(file.rel, 1, "warning", "no Q&A entries in this file", name))
        return FileRecord(
            file.mtime_ns, file.size, tuple(context.uses), fmt_name, entries, tuple(problems)
        )

    def _log(self, problem: Problem) -> None:
        if self._log_problems and not (self._raising and problem.severity == "error"):
            log.warning("%s", problem.located())

    def _list_file(
        self, found: Walk, file_name: str, source: Source, part: _Part
    ) -> tuple[str, ...]:
        side = found.side.get(walk_prefix(source) + file_name)
        if side is None:
            return ()
        try:
            return read_list(side.path, file_name)
        except KnowledgeError as exc:
            problem = Problem(file_name, exc.line, "error", exc.reason, source.spec.name)
            part.problems.append(problem)
            part.unreadable.append(problem)
            return ()

    def _aliases_file(self, found: Walk, source: Source, part: _Part) -> dict[str, tuple[str, ...]]:
        side = found.side.get(walk_prefix(source) + ALIASES_FILE)
        if side is None:
            return {}
        try:
            return read_aliases(side.path, ALIASES_FILE, source.spec.name)
        except KnowledgeError as exc:
            problem = Problem(ALIASES_FILE, exc.line, "error", exc.reason, source.spec.name)
            part.problems.append(problem)
            part.unreadable.append(problem)
            self._log(problem)
            return {}

    def _build(self) -> KnowledgeBase:
        entries: list[Entry] = []
        problems: list[Problem] = []
        curated: list[str] = []
        off_topic: list[str] = []
        tip_ids: set[str] = set()
        aliases: dict[str, tuple[str, ...]] = {}
        for source in self.sources:
            part = self._parts[source.spec.name]
            problems += part.problems
            aliases.update(part.aliases)
            seen: set[tuple[str, int, str]] = set()
            for record in part.records.values():
                entries += record.entries
                for p in record.problems:  # a side file's problem comes with each of its users
                    if (p.path, p.line, p.message) not in seen:
                        seen.add((p.path, p.line, p.message))
                        problems.append(p)
                fmt = format_named(record.format)
                if fmt is None:
                    continue
                allowed = fmt.gives_tips if source.spec.tips is None else source.spec.tips
                if allowed:
                    tip_ids.update(
                        e.id for e in record.entries if fmt.tip_candidate(e) and makes_a_tip(e)
                    )
            curated += [_full_id(line, source.spec.name) for line in part.curated]
            off_topic += part.off_topic
        kept, review_problems = review(entries)
        if aliases:
            kept = [add_aliases(e, aliases[e.id]) if e.id in aliases else e for e in kept]
            known = {e.id for e in kept}
            review_problems += [
                Problem(ALIASES_FILE, 1, "warning", f"aliases of unknown entry {entry_id!r}")
                for entry_id in aliases
                if entry_id not in known
            ]
        if not kept and self._last is not None and self._last.entries:
            problem = Problem(
                ".", 0, "error", "no entries found; answering from the last good knowledge"
            )
            log.warning("%s", problem)
            last = self._last
            return KnowledgeBase(
                last.entries,
                (*problems, problem),
                last.curated_tips,
                last.off_topic,
                last.source_names,
                last.tip_ids,
            )
        return KnowledgeBase(
            tuple(kept),
            tuple(problems + review_problems),
            tuple(curated),
            tuple(off_topic),
            tuple(s.spec.name for s in self.sources),
            frozenset(tip_ids),
        )


@contextlib.contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Loading creates objects that all live on; the cycle collector, run again and again over
    a growing heap, would take more time than the load (3.7 s instead of 1.4 s at 100,000)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def walk_prefix(source: Source) -> str:
    return f"{source.spec.subfolder}/" if source.spec.subfolder else ""


def _full_id(line: str, source: str) -> str:
    """``tips.txt`` names entries by full id, or by id inside its own source."""
    return line if line.startswith(f"{source}/") else f"{source}/{line}"


def load_knowledge(
    location: Path | str | Sequence[SourceSpec],
    *,
    base_url: str | None = None,
    data_dir: Path | None = None,
) -> KnowledgeBase:
    """Load a folder (its name names the source) or sources; the first unreadable file raises."""
    loader = KnowledgeLoader(as_specs(location), data_dir=data_dir, base_url=base_url)
    return loader.load(strict=True)


def as_specs(location: Path | str | Sequence[SourceSpec]) -> tuple[SourceSpec, ...]:
    if isinstance(location, Path | str):
        try:
            return (folder_spec(location),)
        except ValueError as exc:
            raise KnowledgeError(str(location), 0, str(exc)) from None
    return tuple(location)
