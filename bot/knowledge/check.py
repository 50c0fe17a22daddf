"""``qabot check``: every problem of the knowledge, errors and warnings, without stopping at one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.errors import ConfigError, KnowledgeError
from bot.knowledge.base import KnowledgeBase, Problem
from bot.knowledge.files import LINK, read_text
from bot.knowledge.formats import SUFFIXES
from bot.knowledge.load import SIDE_FILES, TIPS_FILE, KnowledgeLoader, as_specs, walk_prefix
from bot.knowledge.sources import Source, SourceSpec
from bot.knowledge.walk import walk

MAX_ID_CHARS = 300  # longer ids are stored by a hash: a heading this long is a paragraph


def check_knowledge(
    location: Path | str | Sequence[SourceSpec],
    *,
    base_url: str | None = None,
    data_dir: Path | None = None,
    channel_knowledge: Mapping[str, Iterable[str]] | None = None,
) -> list[Problem]:
    """Every problem in the sources: files, links, ``tips.txt``, long ids, channel scopes."""
    return check_sources(
        location, base_url=base_url, data_dir=data_dir, channel_knowledge=channel_knowledge
    )[1]


def check_sources(
    location: Path | str | Sequence[SourceSpec],
    *,
    base_url: str | None = None,
    data_dir: Path | None = None,
    channel_knowledge: Mapping[str, Iterable[str]] | None = None,
) -> tuple[KnowledgeBase, list[Problem]]:
    """The knowledge as it loads (broken files left out), and every problem found."""
    loader = KnowledgeLoader(
        as_specs(location), data_dir=data_dir, base_url=base_url, cache=False, log_problems=False
    )
    knowledge = loader.load()
    problems = list(knowledge.problems)
    for source in loader.sources:
        if not source.folder.is_dir():
            continue
        name = source.spec.name
        if not any(e.source == name for e in knowledge.entries):
            problems.append(Problem(str(source.folder), 0, "error", "no entries found", name))
        problems += _broken_links(source)
        problems += _unknown_tips(source, knowledge)
    problems += [
        Problem(
            e.path,
            e.line,
            "warning",
            f"the id is {len(e.id)} characters long; shorten the heading to under "
            f"{MAX_ID_CHARS - len(e.id) + len(e.id.partition('#')[2])} characters",
            e.source,
        )
        for e in knowledge.entries
        if len(e.id) > MAX_ID_CHARS
    ]
    for channel, names in (channel_knowledge or {}).items():
        for unknown in knowledge.unknown_scopes(names):
            problems.append(
                Problem(
                    "CHANNEL_KNOWLEDGE", 0, "error", f"{channel}={unknown}: {scope_hint(knowledge)}"
                )
            )
    return knowledge, problems


def check_channel_knowledge(
    knowledge: KnowledgeBase, channel_knowledge: Mapping[str, Iterable[str]]
) -> None:
    """At start: a CHANNEL_KNOWLEDGE name that covers no entry is a ``ConfigError``."""
    problems = [
        f"CHANNEL_KNOWLEDGE: {channel}={name} {scope_hint(knowledge)}"
        for channel, names in channel_knowledge.items()
        for name in knowledge.unknown_scopes(names)
    ]
    if problems:
        raise ConfigError(problems)


def scope_hint(knowledge: KnowledgeBase) -> str:
    return (
        "names no source, folder or path of the knowledge (sources: "
        f"{', '.join(knowledge.source_names) or 'none'})"
    )


def _broken_links(source: Source) -> list[Problem]:
    """Relative links to files that are not in the folder: they break once published."""
    problems = []
    for found in walk(source.folder, SUFFIXES, SIDE_FILES, walk_prefix(source)).files:
        try:
            text = read_text(found.path, found.rel)
        except KnowledgeError:
            continue  # reported by loading
        for number, line in enumerate(text.splitlines(), start=1):
            for match in LINK.finditer(line):
                target = match.group(2).split("#", 1)[0]
                if not target or urlsplit(target).scheme or target.startswith("/"):
                    continue
                if not (source.root / found.rel).parent.joinpath(unquote(target)).exists():
                    problems.append(
                        Problem(
                            found.rel,
                            number,
                            "warning",
                            f"link to {target!r}: no such file here",
                            source.spec.name,
                        )
                    )
    return problems


def _unknown_tips(source: Source, knowledge: KnowledgeBase) -> list[Problem]:
    path = source.folder / TIPS_FILE
    try:
        lines = read_text(path, TIPS_FILE).splitlines() if path.is_file() else []
    except KnowledgeError:
        return []  # reported by loading
    name = source.spec.name
    problems = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        full = line if line.startswith(f"{name}/") else f"{name}/{line}"
        if knowledge.get(full) is None:
            problems.append(
                Problem(TIPS_FILE, number, "error", f"tips.txt names unknown entry {line!r}", name)
            )
    return problems
