"""Short stable keys for entries, for custom_ids and autocomplete values (≤ 100 characters)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from bot.models import Entry

KEY_PREFIX = "k:"
VALUE_LIMIT = 100


def entry_key(entry_id: str) -> str:
    """12 hex characters derived from the entry id: the same across restarts and processes."""
    return hashlib.blake2s(entry_id.encode("utf-8"), digest_size=6).hexdigest()


class EntryKeys:
    """Maps entries to short keys and back, for one knowledge base."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._by_id = {entry.id: entry for entry in entries}
        self._by_key = {entry_key(entry_id): entry for entry_id, entry in self._by_id.items()}

    def key(self, entry: Entry) -> str:
        return entry_key(entry.id)

    def choice_value(self, entry: Entry) -> str:
        """The entry id when it fits an autocomplete value, otherwise ``k:<key>``."""
        if len(entry.id) <= VALUE_LIMIT:
            return entry.id
        return KEY_PREFIX + entry_key(entry.id)

    def by_key(self, key: str) -> Entry | None:
        return self._by_key.get(key)

    def resolve(self, value: str) -> Entry | None:
        """The entry a chosen autocomplete value stands for; None for free text."""
        value = value.strip()
        if value.startswith(KEY_PREFIX):
            return self._by_key.get(value[len(KEY_PREFIX) :])
        return self._by_id.get(value)
