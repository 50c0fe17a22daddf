"""The feedback loop's core: which picks propose aliases, the wordings picks refer to, and the
accepted aliases joined to the knowledge at every load.

Accepted aliases live in the database (``alias_proposals`` with status "accepted"), so they
survive restarts on hosts that wipe their disk; ``qabot learn export`` copies them to an
``aliases.yaml`` beside the knowledge for hosts who keep them with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from bot.aliases import with_aliases
from bot.knowledge import KnowledgeBase
from bot.store import PickVia, Store, stored_entry_id
from bot.store.alias_store import AliasStore
from bot.store.errors import DATABASE_ERRORS, describe

log = logging.getLogger(__name__)

READ_TIMEOUT = 3.0  # seconds a load waits for the accepted aliases before going without
RECENT_QUESTIONS = 10_000  # wordings kept for picks: minutes of traffic at the busiest


def proposes(via: PickVia) -> bool:
    """A suggestion picked after a miss, or another entry picked as a correction, says "my
    wording means this entry"; an autocomplete choice follows no wording of the member's."""
    return via in ("suggestion", "correction")


class RecentQuestions:
    """The wordings of recent questions by log id, for the picks that follow them (a Discord
    button cannot carry the wording; the log row is the fallback)."""

    def __init__(self, size: int = RECENT_QUESTIONS) -> None:
        self.size = size
        self._wordings: OrderedDict[int, str] = OrderedDict()

    def remember(self, log_id: int, wording: str) -> None:
        if not wording:
            return
        self._wordings[log_id] = wording
        self._wordings.move_to_end(log_id)
        while len(self._wordings) > self.size:
            self._wordings.popitem(last=False)

    def get(self, log_id: int | None) -> str | None:
        return None if log_id is None else self._wordings.get(log_id)


class AcceptedAliases:
    """``LiveKnowledge.transform``: the knowledge with the accepted aliases on its entries.

    When the database does not answer, the aliases read last time are used, so a reload
    during an outage does not drop them.
    """

    def __init__(self, store: Store, *, timeout: float = READ_TIMEOUT) -> None:
        self.aliases = AliasStore(store.engine)
        self.timeout = timeout
        self._last: dict[str, tuple[str, ...]] = {}

    async def apply(self, knowledge: KnowledgeBase) -> KnowledgeBase:
        try:
            async with asyncio.timeout(self.timeout):
                self._last = await self.aliases.accepted()
        except DATABASE_ERRORS as exc:
            log.warning("accepted aliases not read (%s); using the last ones read", describe(exc))
        if not self._last:
            return knowledge
        by_stored = {stored_entry_id(e.id): e.id for e in knowledge.entries}
        aliases = {
            by_stored[entry_id]: wordings
            for entry_id, wordings in self._last.items()
            if entry_id in by_stored
        }
        return with_aliases(knowledge, aliases)
