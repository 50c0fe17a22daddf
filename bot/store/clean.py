"""Values cleaned at the store's edge, so that no row is ever refused for its data.

PostgreSQL rejects NUL characters in text, neither database can store lone surrogates, and
PostgreSQL refuses strings longer than their column. Free text is stripped and cut; an id
that is too long is cut and given a hash of the whole, so it stays stable and distinct.
"""

from __future__ import annotations

import hashlib
import re

from bot.store.schema import ENTRY_ID_MAX_CHARS

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_HASH_CHARS = 16  # 64 bits of sha256: distinct among the ids that share a long prefix


def text(value: str, limit: int) -> str:
    """Free text (a question): unstorable characters removed, cut to ``limit`` characters."""
    return _UNSTORABLE.sub("", value)[:limit]


def key(value: str, limit: int) -> str:
    """An identifier: as it is when it fits, else its start, ``~`` and a hash of all of it."""
    cleaned = _UNSTORABLE.sub("", value)
    if cleaned == value and len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{cleaned[: limit - _HASH_CHARS - 1]}~{digest}"


def optional_key(value: str | None, limit: int) -> str | None:
    return None if value is None else key(value, limit)


def stored_entry_id(entry_id: str) -> str:
    """The form an entry id takes in the database; compare stored ids with this."""
    return key(entry_id, ENTRY_ID_MAX_CHARS)
