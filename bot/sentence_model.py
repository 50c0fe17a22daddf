"""A sentence model run by ONNX Runtime: meaning where members and the knowledge share no words.

The default install carries all-MiniLM-L6-v2 with int8 weights (``bot/data/sentence-model/``,
built by ``scripts/build_sentence_model.py``): about 23 MB, and no PyTorch. On one core a
question takes about 5 ms to encode and an entry of 100-250 tokens about 40 ms, so entry vectors
are cached on disk (``bot.semantic.CachedEncoder``). Any folder holding an ONNX export of a
BERT-like model (``model.onnx``, taking ``input_ids`` and ``attention_mask``, and
``token_type_ids`` if it wants them, and returning the last hidden state first) with its
``tokenizer.json`` works the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from bot.errors import ConfigError
from bot.meaning import MeaningWeights

SENTENCE_MODEL_DIR = Path(__file__).parent / "data" / "sentence-model"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "sentence-model.json"  # optional: name, max_tokens, pooling, where it came from
# Word pieces a text is cut to, as sentence-transformers does for all-MiniLM-L6-v2 (its
# tokenizer.json says 128). An entry's question comes first, so what is cut is the end of a long
# answer; a question of a member is rarely longer than 60.
MAX_TOKENS = 256
# Texts run through the model together, sorted by length so that they need little padding. One:
# an int8 model quantises each batch's activations with one scale, so batch-mates and padding
# would change a text's vector (a cosine of 0.94 against the text alone, for a short one), and on
# one core a text at a time is also the fastest (25 entries/s, against 22 in batches of 16).
BATCH_SIZE = 1
# A sentence model's similarities are used as they are; the shares were chosen on the
# evaluation sets with all-MiniLM-L6-v2.
SENTENCE_MODEL_WEIGHTS = MeaningWeights(floor=0.0, rank=0.6, confidence=0.6, off_topic_slack=0.2)
_FIX = (
    "reinstall course-qa-bot, point EMBEDDING_MODEL at a folder holding model.onnx and "
    "tokenizer.json, or set EMBEDDING_MODEL=word-vectors (or off) to match without it"
)


class SentenceModel:
    """An ONNX sentence model on one CPU thread: mean pooling over the tokens, unit length.

    ``folder`` holds ``model.onnx`` and ``tokenizer.json``, and optionally
    ``sentence-model.json`` with its ``name`` and ``max_tokens`` (default: the folder's name,
    and ``MAX_TOKENS``). Texts are cut to ``max_tokens`` word pieces.
    """

    blocking = True  # a question takes milliseconds: match in a thread, off the event loop

    def __init__(
        self,
        folder: Path = SENTENCE_MODEL_DIR,
        *,
        weights: MeaningWeights = SENTENCE_MODEL_WEIGHTS,
        max_tokens: int | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.folder = folder
        self.weights = weights
        self.batch_size = batch_size
        model_path, tokenizer_path = folder / MODEL_FILE, folder / TOKENIZER_FILE
        try:
            for path in (model_path, tokenizer_path):
                if not path.is_file():
                    raise FileNotFoundError(f"no {path.name}" if folder.is_dir() else "no folder")
            config = _read_config(folder / CONFIG_FILE)
            self.name: str = str(config.get("name") or folder.name)
            self.max_tokens = int(max_tokens or config.get("max_tokens") or MAX_TOKENS)
            if config.get("pooling", "mean") != "mean":
                raise ValueError(f"pooling {config['pooling']!r}: only 'mean' is supported")
            self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
            self._session = _session(model_path)
            digest = hashlib.sha256()
            for path in (model_path, tokenizer_path):
                with path.open("rb") as file:
                    digest.update(hashlib.file_digest(file, "sha256").digest())
        except Exception as exc:  # onnxruntime and tokenizers raise their own kinds
            raise ConfigError(
                [f"the sentence model in {folder} cannot be loaded ({_reason(exc)}): {_FIX}"]
            ) from None
        inputs = {i.name for i in self._session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= inputs:
            raise ConfigError(
                [
                    f"the sentence model in {folder} takes {sorted(inputs)}, not input_ids and "
                    "attention_mask: export it with them (see scripts/build_sentence_model.py)"
                ]
            )
        self._token_types = "token_type_ids" in inputs
        self._pad_id = int((self._tokenizer.padding or {}).get("pad_id", 0))
        self._tokenizer.no_padding()  # the file pads to a fixed length: pad to the batch instead
        self._tokenizer.enable_truncation(self.max_tokens)
        # What a vector depends on: the model, its vocabulary and where texts are cut.
        self.identity = f"{self.name}-{digest.hexdigest()[:16]}-{self.max_tokens}"
        self.nbytes = model_path.stat().st_size + tokenizer_path.stat().st_size
        self.dimensions = 0
        try:  # the width, and a model that loads but cannot run fails here, not at a question
            self.dimensions = self._encode(["warm up"]).shape[1]
        except Exception as exc:
            raise ConfigError(
                [f"the sentence model in {folder} does not run ({_reason(exc)}): {_FIX}"]
            ) from None

    def token_count(self, text: str) -> int:
        """Word pieces the model reads of a text (at most ``max_tokens``)."""
        return len(self._tokenizer.encode(text).ids)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors for questions."""
        return self._encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors for entries: long texts, batched by length (not cached here)."""
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = [self._tokenizer.encode(text) for text in texts]
        # Texts of about the same length together, so a batch is padded little.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            vectors = self._run(
                [encodings[i].ids for i in rows], [encodings[i].type_ids for i in rows]
            )
            if start == 0 and out.shape[1] != vectors.shape[1]:  # the warm-up: width unknown
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out

    def _run(self, ids: list[list[int]], type_ids: list[list[int]]) -> np.ndarray:
        longest = max(map(len, ids))
        input_ids = np.full((len(ids), longest), self._pad_id, dtype=np.int64)
        token_types = np.zeros((len(ids), longest), dtype=np.int64)
        mask = np.zeros((len(ids), longest), dtype=np.int64)
        for row, (text_ids, text_types) in enumerate(zip(ids, type_ids, strict=True)):
            input_ids[row, : len(text_ids)] = text_ids
            token_types[row, : len(text_types)] = text_types
            mask[row, : len(text_ids)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if self._token_types:
            feed["token_type_ids"] = token_types
        hidden = np.asarray(self._session.run(None, feed)[0], dtype=np.float32)
        # Mean over the text's tokens (padding excluded), then unit length.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: np.ndarray = pooled / np.maximum(norms, 1e-12)
        return normalised


def _session(path: Path) -> ort.InferenceSession:
    """One thread, one operator at a time: the bot is a small process on a shared core."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    if not isinstance(config, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return config


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


@cache
def load_sentence_model() -> SentenceModel:
    """The bundled sentence model, loaded once a process."""
    return SentenceModel()
