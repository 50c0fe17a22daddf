"""What the matcher needs of a meaning encoder: vectors, and how far to trust them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class MeaningWeights:
    """How an encoder's similarities enter the matcher's scores (see ``bot.matching``)."""

    floor: float  # cosine similarity that counts as nothing in common: 0 on the matcher's scale
    rank: float  # share of the ranking score
    confidence: float  # share of the confidence
    off_topic_slack: float  # an off-topic example this much less similar than the entry costs 0

    def scale(self, similarity: np.ndarray) -> np.ndarray:
        """Cosine similarity onto 0–1, where 0 is the floor."""
        scaled: np.ndarray = np.clip((similarity - self.floor) / (1.0 - self.floor), 0.0, 1.0)
        return scaled


class MeaningEncoder(Protocol):
    """Turns texts into unit-length vectors; similar meaning, high dot product."""

    @property
    def name(self) -> str:
        """What logs and ``qabot eval`` call it."""
        ...

    @property
    def identity(self) -> str:
        """The name and a digest of the model's files: changes whenever a vector could."""
        ...

    @property
    def blocking(self) -> bool:
        """Encoding a question takes milliseconds: callers on an event loop use a thread."""
        ...

    @property
    def nbytes(self) -> int:
        """Memory the encoder holds, shared by every matcher in the process."""
        ...

    @property
    def weights(self) -> MeaningWeights: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for questions."""
        ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for knowledge entries (an encoder may cache them)."""
        ...
