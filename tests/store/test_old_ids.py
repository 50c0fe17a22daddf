"""At start the service hands the store the old-id -> new-id mapping, once (when it can)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.metrics import Metrics
from bot.service import QABot
from bot.store import Store
from tests.store.support import Clock, Database


class RemappingStore(Store):
    """The store as its branch gives it remap_entry_ids; here it only records the call."""

    mappings: list[dict[str, str]]

    async def remap_entry_ids(self, mapping: Mapping[str, str]) -> int:
        self.mappings.append(dict(mapping))
        return 0


async def test_start_maps_ids_of_before_sources_had_names(db: Database, clock: Clock) -> None:
    store = RemappingStore.connect(db.url, db.data_dir, connect_args=db.connect_args)
    store.mappings = []
    db.opened.append(store)

    bot = await QABot.start(db.settings(), clock=clock, store=store, metrics=Metrics())

    (mapping,) = store.mappings
    old = "01-a-day-of-ai-engineer#is-the-data-scientist-role-outdated"
    assert mapping[old] == "webinars/" + old  # logged with KNOWLEDGE_DIR=knowledge/webinars
    assert len(mapping) == len(bot.knowledge.entries)  # the bundled ids themselves are current
