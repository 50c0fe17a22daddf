"""The entries' meaning vectors: one per question wording (the question and its aliases) and one
per entry (question with the start of its answer), and the nearest entries to a question."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bot.meaning import MeaningEncoder
from bot.models import Entry
from bot.text import readable

PASSAGE_CHARS = 500  # answer text encoded with its question per vector
MAX_PASSAGES = 4  # an entry's later paragraphs say less about what it answers
_PARAGRAPH = re.compile(r"\n\s*\n")
_FENCED = re.compile(r"```.*?```", re.DOTALL)


def passages(entry: Entry) -> list[str]:
    """What an entry's vectors encode: its question with each part of its answer, as read.

    The answer is cut into parts of about PASSAGE_CHARS at paragraph ends (code left out), so
    a question about what the third paragraph says still finds the entry.
    """
    text = readable(_FENCED.sub(" ", entry.answer))
    parts: list[str] = []
    for paragraph in (p.strip() for p in _PARAGRAPH.split(text)):
        if not paragraph:
            continue
        if parts and len(parts[-1]) + len(paragraph) < PASSAGE_CHARS:
            parts[-1] += "\n" + paragraph
        else:
            parts.append(paragraph[:PASSAGE_CHARS])
    return [f"{entry.question}. {part}" for part in parts[:MAX_PASSAGES]] or [entry.question]


def document_texts(entries: Sequence[Entry], extra_texts: Sequence[str] = ()) -> list[str]:
    """Every text ``EntryVectors`` encodes for these entries, in order: questions, aliases,
    answer passages, then ``extra_texts`` (what a cache must hold to skip encoding)."""
    texts = [e.question for e in entries]
    texts += [alias for e in entries for alias in e.aliases]
    texts += [part for e in entries for part in passages(e)]
    return texts + list(extra_texts)


class EntryVectors:
    """Unit vectors of every entry, encoded once (the encoder may cache them)."""

    def __init__(
        self,
        encoder: MeaningEncoder,
        entries: Sequence[Entry],
        extra_texts: Sequence[str] = (),
    ) -> None:
        # Each entry's question first (row i is entry i), then the aliases.
        wordings = [(i, e.question) for i, e in enumerate(entries)]
        wordings += [(i, alias) for i, e in enumerate(entries) for alias in e.aliases]
        parts = [(i, text) for i, e in enumerate(entries) for text in passages(e)]
        texts = [text for _, text in wordings] + [text for _, text in parts] + list(extra_texts)
        vectors = encoder.encode_documents(texts)  # one read (and write) of the cache
        n, m, p = len(entries), len(wordings), len(parts)
        dims = vectors.shape[1] if vectors.ndim == 2 and len(texts) else 1
        vectors = vectors.reshape(len(texts), dims) if len(texts) else np.zeros((0, dims))
        self.wordings = np.ascontiguousarray(vectors[:m], dtype=np.float32)
        self.wording_entry = np.array([i for i, _ in wordings], dtype=np.int64)
        self.passages = np.ascontiguousarray(vectors[m : m + p], dtype=np.float32)
        self.passage_entry = np.array([i for i, _ in parts], dtype=np.int64)
        self.extra = np.ascontiguousarray(vectors[m + p :], dtype=np.float32)
        self._size = n

    def state(self) -> dict[str, np.ndarray]:
        """The vectors as arrays, for the matcher cache."""
        return {
            "wordings": self.wordings,
            "wording_entry": self.wording_entry,
            "passages": self.passages,
            "passage_entry": self.passage_entry,
            "extra": self.extra,
            "size": np.array([self._size], dtype=np.int64),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> EntryVectors:
        """Vectors ``state()`` described (memory-mapped arrays stay mapped: only the rows a
        question touches are read)."""
        vectors = cls.__new__(cls)
        vectors.wordings = state["wordings"]
        vectors.wording_entry = state["wording_entry"]
        vectors.passages = state["passages"]
        vectors.passage_entry = state["passage_entry"]
        vectors.extra = state["extra"]
        vectors._size = int(state["size"][0])
        return vectors

    @property
    def nbytes(self) -> int:
        return self.wordings.nbytes + self.passages.nbytes + self.extra.nbytes

    def question_similarity(self, query: np.ndarray) -> np.ndarray:
        """(queries, entries): the best cosine of each query to any wording of each entry."""
        per_wording = query @ self.wordings.T
        best = per_wording[:, : self._size]
        aliases = self.wording_entry[self._size :]
        for row in range(len(query) if len(aliases) else 0):  # the closest wording counts
            np.maximum.at(best[row], aliases, per_wording[row, self._size :])
        return best

    def answer_similarity(self, query: np.ndarray, docs: Sequence[int]) -> np.ndarray:
        """The best cosine of one query vector to any part of each of ``docs``' answers."""
        best = np.full(len(docs), -1.0, dtype=np.float32)
        position = {doc: i for i, doc in enumerate(docs)}
        rows = np.flatnonzero(np.isin(self.passage_entry, np.asarray(docs, dtype=np.int64)))
        if len(rows):
            similarity = self.passages[rows] @ query
            where = np.array([position[int(d)] for d in self.passage_entry[rows]])
            np.maximum.at(best, where, similarity)
        return best

    def nearest(
        self, query: np.ndarray, limit: int, allowed: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """For each query vector, the ``limit`` entries whose wordings mean it most (among the
        ``allowed`` ones, a mask, when given)."""
        if self._size == 0:
            return [np.zeros(0, dtype=np.int64) for _ in query]
        similarity = self.question_similarity(query)
        if allowed is not None:
            similarity = np.where(allowed[None, :], similarity, -np.inf)
        k = min(limit, self._size)
        top = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        ranked = [row[np.argsort(-similarity[i, row])] for i, row in enumerate(top)]
        return [row[np.isfinite(similarity[i, row])] for i, row in enumerate(ranked)]
