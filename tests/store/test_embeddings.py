"""The sentence model's vectors cached in the database, for hosts that wipe their disk."""

from __future__ import annotations

import asyncio
import datetime as dt

import numpy as np

from bot.store import Store
from tests.store.support import Clock, Database

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def vector(seed: int, dtype: type = np.float32) -> bytes:
    return np.random.default_rng(seed).random(384).astype(dtype).tobytes()


async def test_vectors_round_trip_and_missing_keys_are_absent(store: Store, clock: Clock) -> None:
    items = {"k1": vector(1), "k2": vector(2, np.float16)}

    await store.embeddings_put(MODEL, items, now=clock.now)
    found = await store.embeddings_get(MODEL, ["k1", "k2", "k3"], now=clock.now)

    assert found == items
    assert np.frombuffer(found["k2"], np.float16).shape == (384,)
    assert await store.embeddings_get("other-model", ["k1"]) == {}


async def test_concurrent_writers_keep_the_first_vector_of_a_key(
    db: Database, store: Store, clock: Clock
) -> None:
    first, second = db.store(), db.store()
    keys = [f"k{n}" for n in range(600)]  # more than one statement's worth

    await asyncio.gather(
        first.embeddings_put(MODEL, {k: vector(1) for k in keys}, now=clock.now),
        second.embeddings_put(MODEL, {k: vector(1) for k in keys}, now=clock.now),
    )
    await store.embeddings_put(MODEL, {"k0": vector(9)}, now=clock.now)

    found = await store.embeddings_get(MODEL, keys)
    assert len(found) == 600 and found["k0"] == vector(1)


async def test_pruning_drops_other_models_and_vectors_not_read_for_a_while(
    store: Store, clock: Clock
) -> None:
    long_model = "models/" + "x" * 300
    await store.embeddings_put(MODEL, {"read": vector(1), "unread": vector(2)}, now=clock.now)
    await store.embeddings_put(long_model, {"k": vector(3)}, now=clock.now)
    await store.embeddings_put("old-model", {"k": vector(4)}, now=clock.now)
    clock.advance(days=40)
    assert await store.embeddings_get(MODEL, ["read"], now=clock.now)  # marks it as used

    pruned = await store.embeddings_prune(
        clock.now - dt.timedelta(days=30), keep_models=[MODEL, long_model]
    )

    assert pruned == 3  # "unread", the long model's (not read either) and old-model's
    assert list(await store.embeddings_get(MODEL, ["read", "unread"])) == ["read"]
    assert await store.embeddings_get(long_model, ["k"]) == {}
