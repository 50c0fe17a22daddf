"""Which entry a channel gets next: curated first, no repeats per cycle, changes to the folder."""

from __future__ import annotations

from bot.tips import next_entry, rotation
from tests.store.support import Knowledge, entry


def test_rotation_is_fixed_per_channel_and_differs_between_channels() -> None:
    kb = Knowledge(tuple(entry(n) for n in range(1, 21)))

    c1 = rotation(kb, "slack", "C1")

    assert c1 == rotation(kb, "slack", "C1")
    assert sorted(e.id for e in c1) == sorted(e.id for e in kb.entries)
    assert c1 != rotation(kb, "slack", "C2")


def test_curated_tips_go_first_in_their_order_and_unknown_ids_are_ignored() -> None:
    kb = Knowledge(tuple(entry(n) for n in range(1, 6)), (entry(4).id, "gone#x", entry(2).id))

    order = rotation(kb, "discord", "123")

    assert [e.id for e in order[:2]] == [entry(4).id, entry(2).id]
    assert len(order) == 5


def test_no_repeats_until_every_entry_was_posted() -> None:
    order = [entry(n) for n in (1, 2, 3)]

    assert next_entry(order, []) == entry(1)
    assert next_entry(order, [entry(1).id]) == entry(2)
    assert next_entry(order, [entry(1).id, entry(3).id]) == entry(2)
    assert next_entry(order, [entry(n).id for n in (1, 2, 3)]) == entry(1)
    assert next_entry(order, [entry(n).id for n in (1, 2, 3, 1)]) == entry(2)


def test_new_entries_join_the_current_cycle_and_removed_ones_are_skipped() -> None:
    posted = [entry(1).id, entry(2).id]

    assert next_entry([entry(1), entry(2), entry(3), entry(9)], posted) == entry(3)
    assert next_entry([entry(1), entry(9)], posted) == entry(9)  # entry 2 was removed
    # After the cycle is complete, a newly added entry still comes before any repeat.
    assert next_entry([entry(1), entry(2), entry(3)], [*posted, entry(3).id]) == entry(1)
    assert next_entry([entry(1), entry(2), entry(3), entry(4)], [*posted, entry(3).id]) == entry(4)


def test_an_empty_knowledge_base_has_no_tip() -> None:
    assert next_entry([], ["x"]) is None
