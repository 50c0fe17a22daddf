"""Aliases learnt from members: other wordings of an entry's question, matched like it.

A member's wording is compared in a normalised form (case, accents and punctuation folded), so
"How do I join?" and "how do i join" are one proposal and one alias.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.models import Entry
from bot.text import fold

if TYPE_CHECKING:  # bot.knowledge applies the aliases file with ``add_aliases``
    from bot.knowledge import KnowledgeBase

WORDING_MAX_CHARS = 500  # a longer wording is no alias but a story; kept cut in the database

_NOT_WORD = re.compile(r"[^\w]+")


def normalised(wording: str) -> str:
    """The form two wordings share when they differ only in case, accents and punctuation."""
    return " ".join(_NOT_WORD.sub(" ", fold(wording)).split())


def wording_key(wording: str) -> str:
    """What identifies a wording in the database: a hash of its normalised form."""
    return hashlib.sha256(normalised(wording).encode("utf-8")).hexdigest()


def tidy_wording(wording: str) -> str:
    """A wording as stored and shown: one line, at most ``WORDING_MAX_CHARS`` characters."""
    return " ".join(wording.split())[:WORDING_MAX_CHARS]


def with_aliases(
    knowledge: KnowledgeBase,
    aliases: Mapping[str, Sequence[str]],
) -> KnowledgeBase:
    """``knowledge`` with ``aliases`` (entry id -> wordings) added to their entries.

    A wording the entry already has (as its question or an alias) is not added twice; ids of
    entries that are gone are ignored. Returns ``knowledge`` itself when nothing changes.
    """
    if not aliases:
        return knowledge
    changed = False
    entries: list[Entry] = []
    for entry in knowledge.entries:
        extra = aliases.get(entry.id)
        if extra:
            updated = add_aliases(entry, extra)
            changed = changed or updated is not entry
            entry = updated
        entries.append(entry)
    if not changed:
        return knowledge
    return dataclasses.replace(knowledge, entries=tuple(entries))


def add_aliases(entry: Entry, wordings: Sequence[str]) -> Entry:
    """``entry`` with the ``wordings`` it does not have yet as aliases (itself if none)."""
    known = {normalised(entry.question), *(normalised(a) for a in entry.aliases)}
    added: list[str] = []
    for wording in wordings:
        form = normalised(wording)
        if form and form not in known:
            known.add(form)
            added.append(tidy_wording(wording))
    if not added:
        return entry
    return dataclasses.replace(entry, aliases=(*entry.aliases, *added))
