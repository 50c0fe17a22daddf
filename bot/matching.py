"""Match a member's message to the closest entry and decide: answer, or say there is no match.

A message is split (``bot.message``) into its prose, its questions when it asks several, and
the error lines it pastes; each is matched on its own. For each text, candidates come from the
inverted index (``bot.index``: BM25F with typo repair) and, with a meaning encoder, from the
entries nearest in meaning (``bot.entry_vectors``), so a paraphrase that shares no word with
its entry is still found. Each candidate is measured (``bot.confidence.SIGNALS``); a ranking
model orders them and a decision model gives each its confidence, the estimated probability
that it answers the question. Candidates are shown best first with that confidence: the best
answers at or above the threshold; below it, the closest entries are offered when they are
plausibly related (SUGGESTION_FLOOR).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.confidence import LEXICAL, SIGNALS, Calibration
from bot.entry_vectors import EntryVectors, document_texts
from bot.index import Hit, SearchIndex
from bot.knowledge import KnowledgeBase
from bot.meaning import MeaningEncoder
from bot.message import parse_message
from bot.models import Answer, Candidate, Entry, NoAnswer, NoAnswerReason, Result
from bot.off_topic import OFF_TOPIC_EXAMPLES
from bot.settings import DEFAULT_THRESHOLD
from bot.text import (
    clean_question,
    content_words,
    fold,
    looks_foreign,
    name_like_words,
    spelled_out,
)

MAX_QUESTION_CHARS = 2_000  # longer messages are cut before matching
RERANK = 20  # lexical candidates measured per text
NEAREST = 10  # candidates by meaning per text
FUZZY_CHARS = 120  # pasted error messages can be long; their start is what members quote
SHOWN = 5  # candidates kept for logs, JSON and suggestions
SUGGESTION_FLOOR = 0.05  # below this confidence an entry is not offered as "did you mean"
SAME_MEANING = 0.92  # questions this similar ask one thing, in two places
_COLUMN = {name: i for i, name in enumerate(SIGNALS)}


@dataclass(frozen=True, slots=True)
class Pool:
    """Every candidate row of one message: an entry can appear once per text matched."""

    docs: list[int]  # entry positions
    signals: np.ndarray  # (rows, SIGNALS)
    same: np.ndarray  # (rows, rows): True where two rows ask the same thing

    @staticmethod
    def empty() -> Pool:
        return Pool([], np.zeros((0, len(SIGNALS))), np.zeros((0, 0), dtype=bool))


@dataclass(frozen=True, slots=True)
class Scored:
    entry: Entry
    confidence: float


def off_topic_examples(knowledge: KnowledgeBase) -> tuple[str, ...]:
    """The built-in off-topic messages and the knowledge's own (``off-topic.txt``)."""
    return (*OFF_TOPIC_EXAMPLES, *knowledge.off_topic)


def texts_to_encode(knowledge: KnowledgeBase) -> list[str]:
    """Every text a matcher with a meaning encoder encodes for ``knowledge``."""
    return document_texts(knowledge.entries, off_topic_examples(knowledge))


class Matcher:
    """Ranks entries for free text; ``ask`` applies the threshold."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        threshold: float = DEFAULT_THRESHOLD,
        encoder: MeaningEncoder | None = None,
    ) -> None:
        self._setup(knowledge, threshold, encoder, SearchIndex(knowledge.entries))
        # Entries whose questions read the same get the same number (one question, two places).
        folded: dict[str, int] = {}
        self._question_key = np.array(
            [folded.setdefault(fold(e.question).strip(" ?.!"), len(folded)) for e in self.entries],
            dtype=np.int64,
        )
        self.vectors: EntryVectors | None = None
        if encoder is not None:
            self.vectors = EntryVectors(encoder, self.entries, off_topic_examples(knowledge))

    def _setup(
        self,
        knowledge: KnowledgeBase,
        threshold: float,
        encoder: MeaningEncoder | None,
        index: SearchIndex,
    ) -> None:
        self.knowledge = knowledge
        self.threshold = threshold
        self.entries = knowledge.entries
        self.index = index
        # Content words of each question, cut to a length that keeps rapidfuzz fast.
        self._questions = [" ".join(words)[:FUZZY_CHARS] for words in index.question_words]
        self._masks: dict[frozenset[int], np.ndarray] = {}
        self.encoder = encoder
        self.calibration: Calibration = encoder.weights if encoder is not None else LEXICAL

    # --- a built matcher as arrays (``bot.matcher_cache``) --------------------------------------

    def state(self) -> dict[str, np.ndarray]:
        """What ``from_state`` needs besides the knowledge and the encoder."""
        state = {f"index.{k}": v for k, v in self.index.state().items()}
        state["question_key"] = self._question_key
        if self.vectors is not None:
            state |= {f"vectors.{k}": v for k, v in self.vectors.state().items()}
        return state

    @classmethod
    def from_state(
        cls,
        knowledge: KnowledgeBase,
        threshold: float,
        encoder: MeaningEncoder | None,
        state: dict[str, np.ndarray],
    ) -> Matcher:
        """The matcher ``Matcher(knowledge, threshold, encoder).state()`` described: the same
        answers, without reading or encoding an entry (``KeyError`` for a state that lacks a
        part, e.g. vectors for an encoder)."""
        parts: dict[str, dict[str, np.ndarray]] = {"index": {}, "vectors": {}}
        for name, array in state.items():
            group, _, key = name.partition(".")
            if key:
                parts[group][key] = array
        matcher = cls.__new__(cls)
        matcher._setup(knowledge, threshold, encoder, SearchIndex.from_state(parts["index"]))
        matcher._question_key = state["question_key"]
        matcher.vectors = None
        if encoder is not None:
            matcher.vectors = EntryVectors.from_state(parts["vectors"])
        if matcher.index.size != len(knowledge.entries):
            raise ValueError("the state is of another knowledge")
        return matcher

    # --- public ---------------------------------------------------------------------------

    def ask(self, text: str, scope: Collection[int] | None = None) -> Result:
        """Answer a raw chat message, or explain that there is no confident match.

        With a ``scope`` (entry positions: a channel's course), only entries in it answer;
        the closest entries outside it may still be offered as suggestions.
        """
        question = clean_question(text[:MAX_QUESTION_CHARS])
        if not content_words(question):
            return NoAnswer(question, NoAnswerReason.EMPTY)
        candidates = self._shown(self.ranked(question, scope))
        if candidates and candidates[0].score >= self.threshold:
            best = candidates[0]
            return Answer(question, best.entry, best.score, candidates[1:4], candidates)
        score = candidates[0].score if candidates else 0.0
        plausible = [c for c in candidates if c.score >= SUGGESTION_FLOOR]
        if scope is not None and len(plausible) < 3:  # a course's question may be another's
            outside = self._shown(self.ranked(question))
            plausible += [c for c in outside if c.score >= SUGGESTION_FLOOR and c not in plausible]
        return NoAnswer(
            question, NoAnswerReason.LOW_CONFIDENCE, tuple(plausible[:3]), candidates, score
        )

    def rank(self, text: str, limit: int = SHOWN) -> list[Candidate]:
        """The closest entries with their confidence, best first."""
        ranked = self.ranked(clean_question(text[:MAX_QUESTION_CHARS]) or text)
        return [Candidate(s.entry, round(s.confidence, 4)) for s in ranked[:limit]]

    @staticmethod
    def _shown(ranked: Sequence[Scored]) -> tuple[Candidate, ...]:
        return tuple(Candidate(s.entry, round(s.confidence, 4)) for s in ranked[:SHOWN])

    def ranked(self, question: str, scope: Collection[int] | None = None) -> list[Scored]:
        """Every candidate of a cleaned message, each entry once, best first."""
        pool = self.pool(question, self._mask(scope))
        best: dict[int, float] = {}
        confidence = self.calibration.confidence(pool.signals, pool.same)
        for doc, value in zip(pool.docs, confidence.tolist(), strict=True):
            best[doc] = max(best.get(doc, 0.0), value)
        order = sorted(best, key=lambda doc: (-best[doc], doc))
        return [Scored(self.entries[doc], best[doc]) for doc in order]

    def pool(self, question: str, allowed: np.ndarray | None = None) -> Pool:
        """The candidates of every text of a cleaned message, measured (among ``allowed``)."""
        message = parse_message(question)
        texts = message.queries
        vectors = None
        if self.encoder is not None:
            vectors = self.encoder.encode([spelled_out(text) for text in texts])
        docs: list[int] = []
        rows = []
        for i, text in enumerate(texts):
            query = None if vectors is None else vectors[i]
            found, signals = self._candidates(
                text, query, error_line=text in message.errors, allowed=allowed
            )
            docs += found
            rows.append(signals)
        if not docs:
            return Pool.empty()
        return Pool(docs, np.concatenate(rows), self._same_question(docs))

    def answer_entry(self, entry_id: str, question: str | None = None) -> Answer | None:
        """The answer for an entry chosen by the member (autocomplete, a suggestion button)."""
        entry = self.knowledge.get(entry_id)
        if entry is None:
            return None
        others = [c for c in self.rank(question or entry.question, 4) if c.entry.id != entry_id]
        chosen = Candidate(entry, 1.0)
        return Answer(question or entry.question, entry, 1.0, tuple(others[:3]), (chosen, *others))

    def complete(
        self, prefix: str, limit: int = 25, scope: Collection[int] | None = None
    ) -> list[Entry]:
        """Entry questions for autocomplete as the member types (the last word may be partial);
        with a ``scope``, its entries come first."""
        text = clean_question(prefix[:MAX_QUESTION_CHARS])
        if not content_words(text):
            first = sorted(scope)[:limit] if scope else []
            chosen = set(first)
            rest = (i for i in range(len(self.entries)) if i not in chosen)
            return [self.entries[i] for i in itertools.islice(itertools.chain(first, rest), limit)]
        terms = self.index.query_terms(text, prefix_last=True)
        hits = self.index.search(terms, max(limit, RERANK))
        if not hits:
            return []
        # Lexical only: a prefix is not a sentence, and it runs at every keystroke.
        docs = [hit.doc for hit in hits]
        signals = self._signals(text, docs, hits, None, error_line=False)
        score = LEXICAL.rank(signals, self._same_question(docs))
        if scope:  # the channel's course first, the rest after
            score = score + 1e3 * np.isin(docs, list(scope))
        order = np.argsort(-score, kind="stable")
        return [self.entries[docs[i]] for i in order[:limit]]

    # --- measuring one text -------------------------------------------------------------------

    def _mask(self, scope: Collection[int] | None) -> np.ndarray | None:
        if scope is None:
            return None
        key = frozenset(scope)
        if key not in self._masks:
            mask = np.zeros(len(self.entries), dtype=bool)
            mask[list(key)] = True
            self._masks = {key: mask}  # one channel's scope at a time is plenty
        return self._masks[key]

    def _candidates(
        self,
        text: str,
        query: np.ndarray | None,
        *,
        error_line: bool,
        allowed: np.ndarray | None = None,
    ) -> tuple[list[int], np.ndarray]:
        nearest: Sequence[int] = ()
        if query is not None and self.vectors is not None:
            nearest = self.vectors.nearest(query[None, :], NEAREST, allowed)[0].tolist()
        terms = self.index.query_terms(text)
        hits = self.index.search(terms, RERANK, also=nearest, allowed=allowed)
        docs = [hit.doc for hit in hits]
        if not hits:
            return docs, np.zeros((0, len(SIGNALS)))
        return docs, self._signals(text, docs, hits, query, error_line=error_line)

    def _signals(
        self,
        text: str,
        docs: list[int],
        hits: Sequence[Hit],
        query: np.ndarray | None,
        *,
        error_line: bool,
    ) -> np.ndarray:
        """(candidates, SIGNALS) for one text."""
        signals = np.zeros((len(docs), len(SIGNALS)), dtype=np.float64)
        bm25 = np.array([h.bm25 for h in hits], dtype=np.float64)
        signals[:, _COLUMN["bm25"]] = bm25 / (bm25.max() or 1.0)
        signals[:, _COLUMN["coverage"]] = [h.coverage for h in hits]
        signals[:, _COLUMN["question_coverage"]] = [h.question_coverage for h in hits]
        signals[:, _COLUMN["fuzzy"]] = self._fuzzy(text, docs)
        if query is not None and self.vectors is not None:
            to_question = self.vectors.question_similarity(query[None, :])[0, docs]
            to_entry = self.vectors.answer_similarity(query, docs)
            signals[:, _COLUMN["meaning_question"]] = to_question
            signals[:, _COLUMN["meaning_entry"]] = to_entry
            if len(self.vectors.extra):
                closest = float(np.max(self.vectors.extra @ query))
                signals[:, _COLUMN["off_topic"]] = closest - np.maximum(to_question, to_entry)
        unknown = [w for w in name_like_words(text) if not self.index.knows(w)]
        signals[:, _COLUMN["unknown_names"]] = min(len(unknown), 2)
        signals[:, _COLUMN["foreign"]] = float(looks_foreign(text))
        signals[:, _COLUMN["error_line"]] = float(error_line)
        signals[:, _COLUMN["brevity"]] = 1.0 / max(1, len(content_words(text)))
        return signals

    def _fuzzy(self, text: str, docs: list[int]) -> np.ndarray:
        query = " ".join(content_words(text))[:FUZZY_CHARS]
        questions = [self._questions[doc] for doc in docs]
        similarity: np.ndarray = (
            process.cdist([query], questions, scorer=fuzz.token_sort_ratio)[0] / 100.0
        )
        if len(query) > 12:  # a long question may contain the entry's shorter one
            partial = process.cdist([query], questions, scorer=fuzz.partial_ratio)[0] / 100.0
            similarity = np.maximum(similarity, 0.85 * partial)
        return similarity

    def _same_question(self, docs: list[int]) -> np.ndarray:
        """(n, n) True where two candidates are one entry, or ask the same thing."""
        positions = np.asarray(docs)
        same: np.ndarray = positions[:, None] == positions[None, :]
        keys = self._question_key[positions]
        same |= keys[:, None] == keys[None, :]
        if self.vectors is not None:
            wordings = self.vectors.wordings[positions]
            same |= (wordings @ wordings.T) >= SAME_MEANING
        return same
