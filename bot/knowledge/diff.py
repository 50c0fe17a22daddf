"""What a reload changed: entries added, changed and removed, by id."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.base import KnowledgeBase
from bot.models import Entry


@dataclass(frozen=True, slots=True)
class KnowledgeDiff:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def __str__(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"


def _content(entry: Entry) -> tuple[object, ...]:
    """What a member sees; a line number that moved is not a change."""
    return (
        entry.question,
        entry.answer,
        entry.aliases,
        entry.source_title,
        entry.source_url,
        entry.recording_url,
        entry.date,
    )


def diff_knowledge(old: KnowledgeBase, new: KnowledgeBase) -> KnowledgeDiff:
    old_ids = {e.id: e for e in old.entries}
    added, changed = [], []
    for entry in new.entries:
        before = old_ids.pop(entry.id, None)
        if before is None:
            added.append(entry.id)
        elif before is not entry and _content(before) != _content(entry):
            changed.append(entry.id)
    return KnowledgeDiff(tuple(added), tuple(changed), tuple(old_ids))
