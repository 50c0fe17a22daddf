"""An in-memory inverted index over entries: BM25F on stemmed terms, question weighted above answer.

Chosen from measurements (see README, "Matching"): an inverted index gives recall and speed that
grow with the matching terms rather than the number of entries; typos are mended against the
index vocabulary with rapidfuzz; abbreviations and their long forms meet in one canonical term.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.models import Entry
from bot.text import STOPWORDS, content_words, readable, stem

# Long forms and abbreviations meet in one canonical term, added next to the words themselves.
PHRASES: dict[tuple[str, ...], str] = {
    ("data", "engin"): "de",
    ("data", "scientist"): "ds",
    ("data", "scienc"): "ds",
    ("machin", "learn"): "ml",
    ("ml", "engin"): "mle",
    ("softwar", "engin"): "swe",
    ("softwar", "develop"): "swe",
    ("ai", "engin"): "aie",
    ("retriev", "augment", "generat"): "rag",
    ("larg", "languag", "model"): "llm",
    ("languag", "model"): "llm",
    ("artifici", "intellig"): "ai",
    ("natur", "languag", "process"): "nlp",
    ("generat", "ai"): "genai",
    ("ci", "cd"): "cicd",
    ("continu", "integr"): "cicd",
    ("front", "end"): "frontend",
    ("back", "end"): "backend",
    ("full", "stack"): "fullstack",
    ("take", "home"): "takehom",
    ("job", "descript"): "jd",
    ("job", "post"): "jd",
}
# Single-word abbreviations and spellings, mapped onto the stem documents use.
WORDS: dict[str, str] = {
    "k8s": "kubernet",
    "js": "javascript",
    "ts": "typescript",
    "py": "python",
    "cert": "certif",
    "certs": "certif",
    "hw": "homework",
    "repo": "repositori",
    "repos": "repositori",
    "vid": "video",
    "vids": "video",
    "recs": "record",
    "eval": "evalu",
    "evals": "evalu",
    "genai": "genai",
    "cicd": "cicd",
    "mlops": "mlop",
    "llms": "llm",
    "agentic": "agent",
    "faang": "bigtech",
    "gpt": "openai",
    "chatgpt": "openai",
    "de": "de",
    "ds": "ds",
    "eng": "engin",
    "engs": "engin",
    "fe": "frontend",
    "mle": "mle",
    "swe": "swe",
    "sde": "swe",
    "dev": "develop",
    "devs": "develop",
    "frontend": "frontend",
    "backend": "backend",
    "fullstack": "fullstack",
    "jd": "jd",
    "jds": "jd",
    "ads": "jd",
    "ad": "jd",
    "listing": "jd",
    "listings": "jd",
    "prep": "prepar",
    "grad": "graduat",
    "grads": "graduat",
}
# A small synonym table, on stems: words members use for what the knowledge says otherwise.
SYNONYMS: dict[str, str] = {
    word: canonical
    for canonical, words in {
        "transit": "switch move pivot transit",
        "outdat": "obsolet outdat dead die legaci",
        "hire": "hire recruit staff",
        "tool": "tool framework librari",
    }.items()
    for word in words.split()
}


class _TermCache(dict[str, str]):
    """word -> index term, computed once per distinct word."""

    def __missing__(self, word: str) -> str:
        term = WORDS.get(word) or stem(word)
        term = self[word] = SYNONYMS.get(term, term)
        return term


_TERMS = _TermCache()
MAX_QUERY_TERMS = 12  # the common terms of a long message add time, not precision
_PHRASE_STARTS = {phrase[0] for phrase in PHRASES}


def terms_of(words: Sequence[str]) -> list[str]:
    """Index terms of content words: their stems plus canonical phrase terms."""
    stems = list(map(_TERMS.__getitem__, words))
    extra = []
    starts = itertools.compress(itertools.count(), map(_PHRASE_STARTS.__contains__, stems))
    for i in starts:
        for size in (2, 3):
            canonical = PHRASES.get(tuple(stems[i : i + size]))
            if canonical:
                extra.append(canonical)
    return stems + extra


def pack_strings(strings: Sequence[str]) -> np.ndarray:
    """Words (no newlines in them) as one UTF-8 array: compact, and no pickle to read back."""
    return np.frombuffer("\n".join(strings).encode(), dtype=np.uint8) if strings else _NO_BYTES


def unpack_strings(packed: np.ndarray) -> list[str]:
    return packed.tobytes().decode().split("\n") if len(packed) else []


_NO_BYTES = np.zeros(0, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class Hit:
    """One scored document with the signals the matcher turns into a confidence."""

    doc: int
    bm25: float
    coverage: float  # IDF-weighted share of the query's terms found in the entry
    question_coverage: float  # ... found in the entry's question


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """The query as index terms, with weights (typo repairs count less) and IDF mass."""

    weights: dict[int, float]  # term id -> weight
    total_idf: float  # IDF mass of every query term, known or not


class SearchIndex:
    """BM25F over question (x3), answer (x1) and source title (x0.5); postings in NumPy arrays."""

    K1 = 1.2
    # name, weight, length normalisation b; the source (course, section or webinar title) lets
    # "mlops zoomcamp: ..." prefer that course's entries.
    FIELDS = (("question", 3.0, 0.75), ("answer", 1.0, 0.75), ("source", 0.5, 0.5))

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.size = len(entries)
        # One string object per distinct word: the word lists of 10,000 answers repeat a few
        # thousand words millions of times, and the copies doubled the build's peak memory.
        seen: dict[str, str] = {}
        intern = seen.setdefault

        def words_of(text: str) -> list[str]:
            return [intern(w, w) for w in content_words(text)]

        question_words = [words_of(f"{e.question} {' '.join(e.aliases)}") for e in entries]
        self.question_words = question_words  # the matcher compares questions word by word
        answer_words = [words_of(readable(e.answer)) for e in entries]
        distinct = list(seen)  # typos are mended to words of questions and answers only
        source_words = [words_of(e.source_title) for e in entries]
        self.vocab: dict[str, int] = {}
        keys, values = [], []
        question_keys = np.empty(0, np.int64)
        fields = (question_words, answer_words, source_words)
        for (name, weight, b), field_words in zip(self.FIELDS, fields, strict=True):
            key, tf = self._field_tf(list(map(terms_of, field_words)), weight, b)
            keys.append(key)
            values.append(tf)
            if name == "question":
                question_keys = key
        # Sum the fields' pseudo term frequencies per (term, doc): BM25F.
        unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        pseudo_tf = np.bincount(inverse, weights=np.concatenate(values), minlength=len(unique))
        n = max(1, self.size)
        term_of, doc_of = unique // n, (unique % n).astype(np.int32)
        bounds = np.searchsorted(term_of, np.arange(len(self.vocab) + 1))
        df = np.diff(bounds).astype(np.float32)
        self.idf = np.log(1.0 + (self.size - df + 0.5) / (df + 0.5)).astype(np.float32)
        idf_of = self.idf[term_of]
        saturated = (idf_of * pseudo_tf * (self.K1 + 1) / (pseudo_tf + self.K1)).astype(np.float32)
        # Postings of term t: docs[bounds[t]:bounds[t + 1]] (sorted), sliced only when queried.
        self._docs, self._weights, self._bounds = doc_of, saturated, bounds.tolist()
        q_terms = question_keys // n
        self._q_docs = (question_keys % n).astype(np.int32)
        self._q_bounds = np.searchsorted(q_terms, np.arange(len(self.vocab) + 1)).tolist()
        self.max_idf = math.log(1.0 + (self.size + 0.5) / 1.5)
        # Surface words (as written, folded) for typo repair and prefix completion.
        surface = {w: _TERMS[w] for w in distinct if len(w) > 3 and w.isalpha()}
        self._set_surface(surface)

    def _set_surface(self, surface: dict[str, str]) -> None:
        self.surface = surface
        self.sorted_words = sorted(surface)
        # Typos rarely hit the first letter: candidates share it and differ in length by <= 1.
        by_start: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in self.sorted_words:
            for length in (len(word) - 1, len(word), len(word) + 1):
                by_start[word[0], length].append(word)
        self.repair_pools = dict(by_start)

    # --- a built index as arrays, for the matcher cache ----------------------------------------

    def state(self) -> dict[str, np.ndarray]:
        """Everything ``from_state`` needs, as arrays (no Python objects: no pickle)."""
        lengths = np.fromiter(map(len, self.question_words), np.int64, len(self.question_words))
        return {
            "size": np.array([self.size], dtype=np.int64),
            "vocab": pack_strings(list(self.vocab)),  # in id order
            "idf": self.idf,
            "docs": self._docs,
            "weights": self._weights,
            "bounds": np.asarray(self._bounds, dtype=np.int64),
            "q_docs": self._q_docs,
            "q_bounds": np.asarray(self._q_bounds, dtype=np.int64),
            "surface_words": pack_strings(list(self.surface)),
            "surface_terms": pack_strings(list(self.surface.values())),
            "question_words": pack_strings(
                list(itertools.chain.from_iterable(self.question_words))
            ),
            "question_lengths": lengths,
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> SearchIndex:
        """The index ``state()`` described, without reading an entry again."""
        index = cls.__new__(cls)
        index.size = int(state["size"][0])
        terms = unpack_strings(state["vocab"])
        index.vocab = dict(zip(terms, range(len(terms)), strict=True))
        index.idf = state["idf"]
        index._docs, index._weights = state["docs"], state["weights"]
        index._bounds = state["bounds"].tolist()
        index._q_docs, index._q_bounds = state["q_docs"], state["q_bounds"].tolist()
        index.max_idf = math.log(1.0 + (index.size + 0.5) / 1.5)
        words = unpack_strings(state["question_words"])
        ends = np.cumsum(state["question_lengths"]).tolist()
        index.question_words = [words[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        surface_words = unpack_strings(state["surface_words"])
        surface_terms = unpack_strings(state["surface_terms"])
        index._set_surface(dict(zip(surface_words, surface_terms, strict=True)))
        return index

    def knows(self, word: str) -> bool:
        """Whether any entry contains ``word`` (or another form of it)."""
        return all(_TERMS[w] in self.vocab for w in content_words(word))

    def postings(self, term: int) -> np.ndarray:
        """The docs that contain ``term``, in increasing order."""
        return self._docs[self._bounds[term] : self._bounds[term + 1]]

    def question_postings(self, term: int) -> np.ndarray:
        """The docs whose question contains ``term``."""
        return self._q_docs[self._q_bounds[term] : self._q_bounds[term + 1]]

    def _field_tf(
        self, docs: list[list[str]], weight: float, b: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sorted unique (term * size + doc) keys of one field and their weighted, normalised tf."""
        vocab = self.vocab
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        every = list(itertools.chain.from_iterable(docs))
        for term in dict.fromkeys(every):  # new terms get ids in order of appearance
            vocab.setdefault(term, len(vocab))
        term_ids = np.fromiter(map(vocab.__getitem__, every), dtype=np.int64, count=len(every))
        doc_ids = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        keys, counts = np.unique(term_ids * max(1, self.size) + doc_ids, return_counts=True)
        avg = max(1.0, float(lengths.mean()) if len(docs) else 1.0)
        norm = 1.0 - b + b * lengths / avg
        docs_of_keys = keys % max(1, self.size)
        return keys, (weight * counts / norm[docs_of_keys]).astype(np.float32)

    # --- query side ---------------------------------------------------------------------------

    def _repair(self, word: str) -> list[str]:
        """Vocabulary words close to an unknown word: a small edit distance (typos), or words
        it begins (other forms)."""
        if len(word) < 4 or not word.isalpha():
            return []
        pool = self.repair_pools.get((word[0], len(word)), [])
        cutoff = 80 if len(word) < 7 else 75
        found = process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3)
        if not found:  # a shorter form of a known word: hobby -> hobbyist
            return self._prefixed(word, limit=3) if len(word) >= 5 else []
        best = found[0][1]
        return [w for w, score, _ in found if score >= best - 0.01]

    def _prefixed(self, prefix: str, limit: int = 12) -> list[str]:
        start = bisect.bisect_left(self.sorted_words, prefix)
        out = []
        for word in self.sorted_words[start : start + limit]:
            if not word.startswith(prefix):
                break
            out.append(word)
        return out

    def query_terms(self, text: str, *, prefix_last: bool = False) -> QueryTerms:
        words = content_words(text)
        weights: dict[int, float] = {}
        total = 0.0
        last = len(words) - 1

        def add(term: str, weight: float) -> float:
            tid = self.vocab.get(term)
            if tid is None:
                return 0.0
            weights[tid] = max(weights.get(tid, 0.0), weight)
            return float(self.idf[tid])

        seen: set[str] = set()
        stems: list[str] = []
        for position, word in enumerate(words):
            term = _TERMS[word]
            stems.append(term)
            if term in seen:
                continue
            seen.add(term)
            idf = add(term, 1.0)
            if idf == 0.0 and prefix_last and position == last:
                candidates = self._prefixed(word)
                idfs = [add(self.surface[w], 0.8) for w in candidates]
                idf = max(idfs, default=0.0)
            if idf == 0.0:
                idfs = [add(self.surface[w], 0.8) for w in self._repair(word)]
                idf = max(idfs, default=0.0)
            total += idf if idf else (self.max_idf if word not in STOPWORDS else 0.0)
        for size in (2, 3):
            for i in range(len(stems) - size + 1):
                canonical = PHRASES.get(tuple(stems[i : i + size]))
                if canonical and canonical not in seen:
                    seen.add(canonical)
                    total += add(canonical, 1.0)
        if len(weights) > MAX_QUERY_TERMS:  # a pasted log: its rarest terms identify it
            kept = sorted(weights, key=lambda t: -self.idf[t])[:MAX_QUERY_TERMS]
            weights = {t: weights[t] for t in kept}
        return QueryTerms(weights, total)

    def search(
        self,
        query: QueryTerms,
        limit: int,
        also: Sequence[int] = (),
        allowed: np.ndarray | None = None,
    ) -> list[Hit]:
        """The ``limit`` best docs by BM25F, then the docs of ``also`` (found another way) that
        are not among them, with the same signals (zero where they share no term). With
        ``allowed`` (a mask over docs), only those docs are considered."""
        if self.size == 0:
            return []
        terms = list(query.weights)
        mass = [query.weights[t] * float(self.idf[t]) for t in terms]  # IDF the term brings
        spans = [(self._bounds[t], self._bounds[t + 1]) for t in terms]
        docs = np.concatenate([self._docs[a:b] for a, b in spans] or [np.zeros(0, np.int32)])
        weights = [
            query.weights[t] * self._weights[a:b] for t, (a, b) in zip(terms, spans, strict=True)
        ]
        scores = np.bincount(
            docs, np.concatenate(weights or [np.zeros(0, np.float32)]), minlength=self.size
        )
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(limit, self.size)
        top = np.argpartition(-scores, k - 1)[:k] if k < self.size else np.arange(self.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        if len(also):
            extra = np.setdiff1d(np.asarray(also, dtype=np.int64), top, assume_unique=False)
            top = np.concatenate([top, extra])
        lengths = [b - a for a, b in spans]
        covered = np.bincount(docs, np.repeat(mass, lengths), minlength=self.size)
        in_question = [self.question_postings(t) for t in terms]
        covered_q = np.bincount(
            np.concatenate(in_question or [np.zeros(0, np.int32)]),
            np.repeat(mass, [len(docs_q) for docs_q in in_question]),
            minlength=self.size,
        )
        total = max(query.total_idf, 1e-9)
        return [
            Hit(d, s, min(1.0, c / total), min(1.0, q / total))
            for d, s, c, q in zip(
                top.tolist(),
                scores[top].tolist(),
                covered[top].tolist(),
                covered_q[top].tolist(),
                strict=True,
            )
        ]
