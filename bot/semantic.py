"""The matcher's sense of meaning: which encoder EMBEDDING_MODEL names, and its disk cache.

By default the bundled sentence model (``bot.sentence_model``, all-MiniLM-L6-v2 on ONNX
Runtime); ``word-vectors`` the bundled word vectors (``bot.word_vectors``), much faster and less
discerning; ``off`` none. The matcher still finds its candidates with the inverted index; the
encoder re-ranks them and informs the confidence. A sentence model's entry vectors are cached on
disk by model and text, so a restart or an edited file re-encodes only what changed: encoding
10,000 entries takes minutes on one core, a question a few milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from bot.confidence import Calibration
from bot.errors import ConfigError
from bot.meaning import MeaningEncoder
from bot.sentence_model import (
    MODEL_FILE,
    TOKENIZER_FILE,
    SentenceModel,
    load_sentence_model,
)
from bot.word_vectors import WordVectors, load_word_vectors

__all__ = ["CachedEncoder", "open_encoder", "open_encoders"]

log = logging.getLogger(__name__)

LEXICAL_ONLY = ("off", "none")  # EMBEDDING_MODEL values that turn meaning off


class CachedEncoder:
    """Keeps an encoder's document vectors in one ``.npz`` file per model, keyed by text.

    The file and its keys depend on the model's identity (its name and a digest of its files),
    so a changed model starts a new cache rather than mixing vectors of two models.
    """

    def __init__(self, encoder: MeaningEncoder, directory: Path) -> None:
        self.encoder = encoder
        # "all-MiniLM-L6-v2-int8" -> all-MiniLM-L6-v2-int8-<hash of the identity>.npz
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(encoder.name).name)[:60] or "model"
        digest = hashlib.sha256(encoder.identity.encode()).hexdigest()[:12]
        self.path = directory / f"{name}-{digest}.npz"

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def identity(self) -> str:
        return self.encoder.identity

    @property
    def weights(self) -> Calibration:
        return self.encoder.weights

    @property
    def blocking(self) -> bool:
        return self.encoder.blocking

    @property
    def nbytes(self) -> int:
        return self.encoder.nbytes

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for questions: not cached, each question is new."""
        return self.encoder.encode(texts)

    @property
    def model_key(self) -> str:
        """What the database cache files these vectors under (``Store.embeddings_get``)."""
        return self.path.stem

    def uncached(self, texts: Sequence[str]) -> dict[str, str]:
        """The texts (by key) whose vectors are not in the disk cache."""
        cached = self._load()
        return {key: text for text in texts if (key := self.key(text)) not in cached}

    def add(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Put vectors found elsewhere (the database) into the disk cache, by key."""
        if vectors:
            self._save(self._load() | dict(vectors))

    def vectors(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of ``keys`` (those present)."""
        cached = self._load()
        return {key: cached[key] for key in keys if key in cached}

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for knowledge entries, from the cache where the text is unchanged."""
        keys = [self.key(text) for text in texts]
        cached = self._load()
        missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
        if missing:
            log.info("encoding %d knowledge texts with %s", len(missing), self.name)
            fresh = self.encoder.encode_documents([text for _, text in missing])
            cached.update(zip((k for k, _ in missing), fresh, strict=True))
            self._save(cached)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([cached[key] for key in keys]).astype(np.float32)

    def key(self, text: str) -> str:
        """A text's cache key: a digest of the model's identity and the text."""
        return hashlib.sha256(f"{self.identity}\0{text}".encode()).hexdigest()[:32]

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


def open_encoders(
    model: str | None, cache_dir: Path
) -> tuple[MeaningEncoder | None, CachedEncoder | None]:
    """What a running bot matches with at once, and what takes over once it has encoded the
    entries in the background: the word vectors, then a sentence model (unset, or a folder);
    otherwise the one encoder EMBEDDING_MODEL names, and nothing to take over."""
    final = open_encoder(model, cache_dir)
    if isinstance(final, CachedEncoder):
        return load_word_vectors(), final
    return final, None


def open_encoder(model: str | None, cache_dir: Path) -> MeaningEncoder | None:
    """The meaning encoder EMBEDDING_MODEL asks for.

    Unset: the bundled sentence model. ``word-vectors``: the bundled word vectors. ``off`` (or
    ``none``): none, lexical matching only. Otherwise a folder holding an ONNX sentence model
    (``model.onnx`` and ``tokenizer.json``). A sentence model's entry vectors are cached under
    ``cache_dir``.
    """
    choice = (model or "").strip()
    if not choice:
        return CachedEncoder(load_sentence_model(), cache_dir)
    if choice.lower() == WordVectors.name:
        return load_word_vectors()
    if choice.lower() in LEXICAL_ONLY:
        return None
    folder = Path(choice).expanduser()
    if not (folder / MODEL_FILE).is_file() or not (folder / TOKENIZER_FILE).is_file():
        raise ConfigError(
            [
                f"EMBEDDING_MODEL={choice!r} is not a folder holding {MODEL_FILE} and "
                f"{TOKENIZER_FILE}: leave it unset for the bundled sentence model, or set "
                f"{WordVectors.name!r}, 'off', or a folder holding an ONNX sentence model"
            ]
        )
    return CachedEncoder(SentenceModel(folder), cache_dir)
