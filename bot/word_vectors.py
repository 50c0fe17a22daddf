"""Word vectors: a share of a sentence model's sense of meaning, at the cost of a lookup.

The fast alternative to the bundled sentence model (EMBEDDING_MODEL=word-vectors): a way to see
that "hobbyist" and "amateur", or "salary" and "compensation", are close. Each of 216,889 English
words was encoded on its own by all-MiniLM-L6-v2 (``scripts/build_word_vectors.py`` builds
``bot/data/word-vectors.npz``); a text's vector is the sum of its words' vectors, so encoding
needs no model and takes microseconds. Measured on the evaluation sets it recovers about half of
what the sentence model adds to balanced accuracy.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from bot.errors import ConfigError
from bot.meaning import MeaningWeights

WORD_VECTORS_FILE = Path(__file__).parent / "data" / "word-vectors.npz"
_WORD = re.compile(r"[a-z][a-z0-9+#]*(?:['-][a-z0-9+#]+)*")
_SPLIT = re.compile(r"['-]")

# Summed word vectors of unrelated texts still point somewhat the same way: a similarity of
# 0.2 counts as nothing in common. Chosen on the development evaluation sets: the best balanced
# accuracy, then the fewest wrong answers (a larger share in the ranking answered more questions
# with the wrong entry, for the same balanced accuracy).
WORD_VECTOR_WEIGHTS = MeaningWeights(floor=0.2, rank=0.2, confidence=0.3, off_topic_slack=0.2)


class WordVectors:
    """Encodes texts as the normalised sum of their known words' vectors."""

    name = "word-vectors"
    blocking = False  # a question in microseconds: matching stays on the event loop

    def __init__(
        self, path: Path = WORD_VECTORS_FILE, weights: MeaningWeights = WORD_VECTOR_WEIGHTS
    ) -> None:
        self.weights = weights
        try:
            with np.load(path, allow_pickle=False) as data:
                self._words: np.ndarray = data["words"]  # sorted bytes, for binary search
                self._codes: np.ndarray = data["codes"]  # (words, parts) centroid numbers
                self._books: np.ndarray = data["books"].astype(np.float32)  # (parts, 256, width)
            with path.open("rb") as file:
                self.identity = (
                    f"{self.name}-{hashlib.file_digest(file, 'sha256').hexdigest()[:16]}"
                )
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise ConfigError(
                [
                    f"the word vectors in {path} cannot be read ({exc}): reinstall "
                    "course-qa-bot, or set EMBEDDING_MODEL=off to match without them"
                ]
            ) from None
        self.nbytes = self._words.nbytes + self._codes.nbytes + self._books.nbytes
        parts, _, width = self._books.shape
        self.dimensions = parts * width
        self._parts = np.arange(parts)

    def _known(self, words: Sequence[str]) -> dict[str, int]:
        """The table row of each known word."""
        if not words:
            return {}
        keys = np.array(words, dtype=self._words.dtype)  # cuts a longer word: it must miss
        rows = np.minimum(np.searchsorted(self._words, keys), len(self._words) - 1)
        fits = np.fromiter((len(w) <= keys.itemsize for w in words), bool, len(words))
        known = (self._words[rows] == keys) & fits
        return {w: r for w, r, k in zip(words, rows.tolist(), known.tolist(), strict=True) if k}

    def _decode(self, rows: np.ndarray) -> np.ndarray:
        """Vectors from their codes: (rows, parts) -> (rows, dimensions)."""
        decoded: np.ndarray = self._books[self._parts, self._codes[rows.astype(np.intp)]]
        return decoded.reshape(len(rows), self.dimensions)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors; a text with no known word gets zeros (similar to nothing)."""
        texts_words = [_WORD.findall(text.lower()) for text in texts]
        distinct = sorted(set().union(*texts_words))
        rows = self._known(distinct)
        # "fine-tuning" is one word when known, else the sum of its parts.
        parts = {w: _SPLIT.split(w) for w in distinct if w not in rows and _SPLIT.search(w)}
        rows |= self._known(sorted({p for ps in parts.values() for p in ps} - rows.keys()))
        # One vector for each distinct word; row 0 stays zero, for unknown words.
        meaningful = [w for w in distinct if w in rows or w in parts]
        column = dict.fromkeys(distinct, 0) | {w: i for i, w in enumerate(meaningful, start=1)}
        vectors = np.zeros((len(meaningful) + 1, self.dimensions), dtype=np.float32)
        whole = [w for w in meaningful if w in rows]
        vectors[[column[w] for w in whole]] = self._decode(np.array([rows[w] for w in whole]))
        for word, word_parts in parts.items():
            known_parts = [rows[p] for p in word_parts if p in rows]
            if known_parts:
                vectors[column[word]] = self._decode(np.array(known_parts)).sum(axis=0)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for i, words in enumerate(texts_words):
            vector = vectors[list(map(column.__getitem__, words))].sum(axis=0)
            norm = float(np.linalg.norm(vector))
            if norm:
                out[i] = vector / norm
        return out

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)


@cache
def load_word_vectors() -> WordVectors:
    """The bundled word vectors, read once a process (4.2 MB on disk, 8.8 MB in memory)."""
    return WordVectors()
