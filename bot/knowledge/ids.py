"""Ids logged before sources had names: which current entry each one meant."""

from __future__ import annotations

from collections.abc import Iterable


def entry_id_mapping(
    new_ids: Iterable[str], old_ids: Iterable[str] | None = None
) -> dict[str, str]:
    """Old id -> new id, for ``Store.remap_entry_ids``.

    An old id is a path inside the one knowledge folder of before
    (``02-defining-the-role#x``); it maps to the new id that ends with ``/`` and it
    (``webinars/02-defining-the-role#x``) when exactly one does. Ids that are still current
    are left alone. Without ``old_ids``, every id an entry could have had is mapped: each
    ending of its id after a ``/``.
    """
    current = set(new_ids)
    by_suffix: dict[str, str | None] = {}
    for new in current:
        end = new.find("#")
        position = new.find("/", 0, end if end != -1 else len(new))
        while position != -1:
            suffix = new[position + 1 :]
            by_suffix[suffix] = None if suffix in by_suffix else new  # None: more than one
            position = new.find("/", position + 1, end if end != -1 else len(new))
    candidates = by_suffix if old_ids is None else dict.fromkeys(old_ids)
    mapping = {}
    for old in candidates:
        found = by_suffix.get(old)
        if found is not None and old not in current:
            mapping[old] = found
    return mapping
