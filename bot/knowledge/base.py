"""What loading produces: the entries of every source, the problems found, and ways to read them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from bot.models import Entry


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a knowledge file, named by its path inside the source and a line."""

    path: str
    line: int
    severity: Literal["error", "warning"]
    message: str
    source: str = ""  # the source's name; "" for one loaded on its own

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def located(self) -> str:
        """With the source's name in front (as in entry ids), for output that mixes sources."""
        return f"{self.source}/{self}" if self.source else str(self)


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] = ()
    curated_tips: tuple[str, ...] = ()  # entry ids from tips.txt, posted before the rest
    off_topic: tuple[str, ...] = ()  # messages from off-topic.txt this knowledge does not answer
    source_names: tuple[str, ...] = ()
    tip_ids: frozenset[str] | None = None  # entries that make a tip; None: every entry
    _by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)
    _scopes: dict[str, frozenset[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {entry.id: entry for entry in self.entries})
        object.__setattr__(self, "_scopes", {})

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def tip_entries(self) -> tuple[Entry, ...]:
        """The entries weekly tips are drawn from (see ``bot.knowledge.tipworthy``)."""
        if self.tip_ids is None:
            return self.entries
        return tuple(e for e in self.entries if e.id in self.tip_ids)

    def scope(self, names: Iterable[str]) -> frozenset[int]:
        """Positions in ``entries`` of what the names cover (``CHANNEL_KNOWLEDGE``).

        A name is a source (``webinars``), a folder anywhere inside a source, such as a course
        of the FAQ (``llm-zoomcamp``), or a path prefix starting with the source
        (``faq/_questions/llm-zoomcamp/module-1``).
        """
        found: set[int] = set()
        for name in names:
            found |= self._scope_of(name)
        return frozenset(found)

    def unknown_scopes(self, names: Iterable[str]) -> list[str]:
        """The names that cover no entry: a typo in the configuration."""
        return [name for name in names if not self._scope_of(name)]

    def _scope_of(self, name: str) -> frozenset[int]:
        name = name.strip().strip("/")
        cached = self._scopes.get(name)
        if cached is not None:
            return cached
        if "/" in name:
            prefix = name + "/"
            found = frozenset(
                i for i, e in enumerate(self.entries) if f"{e.source}/{e.path}".startswith(prefix)
            )
        else:
            found = frozenset(
                i
                for i, e in enumerate(self.entries)
                if e.source == name or name in e.path.split("/")[:-1]
            )
        self._scopes[name] = found
        return found
