"""What the matcher needs of a meaning encoder: vectors, and how far to trust them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from bot.confidence import Calibration


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
    def weights(self) -> Calibration:
        """How the matcher turns this encoder's similarities into confidence."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for questions."""
        ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for knowledge entries (an encoder may cache them)."""
        ...
