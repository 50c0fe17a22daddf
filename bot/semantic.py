"""Optional sentence embeddings: meaning, where members and the knowledge use different words.

Installed with ``pip install 'course-qa-bot[embeddings]'`` and turned on by EMBEDDING_MODEL (a
sentence-transformers model name or folder) in place of the bundled word vectors
(``bot.word_vectors``); ``open_encoder`` makes that choice. The matcher still finds its
candidates with the inverted index; embeddings re-rank them and inform the confidence.
Entry vectors are cached on disk by text, so a restart or an edited file re-encodes only what
changed: encoding 10,000 entries takes minutes on a CPU, a question about 10 ms.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import ConfigError
from bot.meaning import MeaningEncoder, MeaningWeights
from bot.word_vectors import WordVectors, load_word_vectors

log = logging.getLogger(__name__)

EMBEDDINGS_EXTRA = "pip install 'course-qa-bot[embeddings]'"
LEXICAL_ONLY = ("off", "none")  # EMBEDDING_MODEL values that turn meaning off
# A sentence model's similarities are used as they are; the shares were chosen on the
# evaluation sets with all-MiniLM-L6-v2.
SENTENCE_MODEL_WEIGHTS = MeaningWeights(floor=0.0, rank=0.6, confidence=0.6, off_topic_slack=0.2)


class Encoder(Protocol):
    """A model that turns texts into unit-length vectors."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU, loaded once."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
        except ImportError:
            raise ConfigError(
                [f"EMBEDDING_MODEL={model!r} needs the embeddings extra: {EMBEDDINGS_EXTRA}"]
            ) from None
        # Loading prints progress bars and a weights report meant for model authors.
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
        self.name = model
        try:
            self._model: Any = SentenceTransformer(model, device="cpu")
        except (OSError, ValueError) as exc:
            raise ConfigError(
                [f"EMBEDDING_MODEL={model!r} could not be loaded (a model name or folder): {exc}"]
            ) from None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class CachedEncoder:
    """Keeps document vectors in one ``.npz`` file per model, keyed by a hash of the text."""

    def __init__(self, encoder: Encoder, directory: Path) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.weights = SENTENCE_MODEL_WEIGHTS
        self.blocking = True  # 10-30 ms a question on a CPU
        self.nbytes = 0  # PyTorch's memory is not ours to count
        # "sentence-transformers/all-MiniLM-L6-v2" -> all-MiniLM-L6-v2-<hash of the full name>.npz
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(encoder.name).name)[:60] or "model"
        digest = hashlib.sha256(encoder.name.encode()).hexdigest()[:8]
        self.path = directory / f"{name}-{digest}.npz"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for questions: not cached, each question is new."""
        return self.encoder.encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for knowledge entries, from the cache where the text is unchanged."""
        keys = [self._key(text) for text in texts]
        cached = self._load()
        missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
        if missing:
            log.info("encoding %d knowledge texts with %s", len(missing), self.name)
            fresh = self.encoder.encode([text for _, text in missing])
            cached.update(zip((k for k, _ in missing), fresh, strict=True))
            self._save(cached)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([cached[key] for key in keys]).astype(np.float32)

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\0{text}".encode()).hexdigest()[:32]

    def _load(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            # A torn or foreign file: start over.
            log.warning("ignoring unreadable embedding cache %s: %s", self.path, exc)
            return {}

    def _save(self, vectors: dict[str, np.ndarray]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
            stacked = np.stack(list(vectors.values()))
            np.savez(partial, keys=np.array(list(vectors)), vectors=stacked)
            os.replace(partial, self.path)  # readers never see half a file
        except OSError as exc:  # a read-only disk costs time at the next start, nothing else
            log.warning("could not write the embedding cache %s: %s", self.path, exc)


def open_encoder(model: str | None, cache_dir: Path) -> MeaningEncoder | None:
    """The meaning encoder EMBEDDING_MODEL asks for.

    Unset (or ``word-vectors``, the name logs and ``qabot eval`` show): the bundled word
    vectors. ``off``: none, lexical matching only. Otherwise a sentence-transformers model with
    its disk cache.
    """
    choice = (model or "").strip()
    if not choice or choice.lower() == WordVectors.name:
        return load_word_vectors()
    if choice.lower() in LEXICAL_ONLY:
        return None
    return CachedEncoder(SentenceTransformerEncoder(choice), cache_dir)
