"""Match a member's message to the closest entry and decide: answer, or say there is no match.

A message is split (``bot.message``) into its prose, its questions when it asks several, and
the error lines it pastes; each is matched on its own and an entry keeps its best confidence.
For each text, candidates come from the inverted index (``bot.index``, BM25F with typo repair)
and, with a meaning encoder, from the entries nearest in meaning (``bot.entry_vectors``), so a
paraphrase that shares no word with its entry is still found. Each candidate is described by
the signals of ``bot.confidence`` and gets a confidence, the estimated probability that it
answers the question; candidates are ranked by it, the best answers at or above the threshold,
and below it the closest entries are offered when they are plausibly related.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.confidence import LEXICAL, SIGNALS, Calibration, lead_base
from bot.entry_vectors import EntryVectors
from bot.index import Hit, SearchIndex
from bot.knowledge import KnowledgeBase
from bot.meaning import MeaningEncoder
from bot.message import parse_message
from bot.models import Answer, Candidate, Entry, NoAnswer, NoAnswerReason, Result
from bot.off_topic import OFF_TOPIC_EXAMPLES
from bot.settings import DEFAULT_THRESHOLD
from bot.text import clean_question, content_words, fold, looks_foreign, name_like_words

MAX_QUESTION_CHARS = 2_000  # longer messages are cut before matching
RERANK = 20  # lexical candidates scored per text
NEAREST = 10  # candidates by meaning per text
FUZZY_CHARS = 120  # pasted error messages can be long; their start is what members quote
SHOWN = 5  # candidates kept for logs, JSON and suggestions
SUGGESTION_FLOOR = 0.15  # below this, an entry is not offered as a "did you mean"
SAME_MEANING = 0.92  # questions this similar are one question asked in two places
_COLUMN = {name: i for i, name in enumerate(SIGNALS)}


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate with its signals and confidence, for one text of the message."""

    entry: Entry
    confidence: float
    signals: tuple[float, ...]


class Matcher:
    """Ranks entries for free text; ``ask`` applies the threshold."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        threshold: float = DEFAULT_THRESHOLD,
        encoder: MeaningEncoder | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.threshold = threshold
        self.entries = knowledge.entries
        self.index = SearchIndex(self.entries)
        # Content words of each question, cut to a length that keeps rapidfuzz fast.
        self._questions = [" ".join(words)[:FUZZY_CHARS] for words in self.index.question_words]
        self._folded = [fold(e.question).strip(" ?.!") for e in self.entries]
        self.encoder = encoder
        self.calibration: Calibration = encoder.weights if encoder is not None else LEXICAL
        self.vectors: EntryVectors | None = None
        if encoder is not None:
            off_topic = (*OFF_TOPIC_EXAMPLES, *knowledge.off_topic)
            self.vectors = EntryVectors(encoder, self.entries, off_topic)

    # --- public ---------------------------------------------------------------------------

    def ask(self, text: str) -> Result:
        """Answer a raw chat message, or explain that there is no confident match."""
        question = clean_question(text[:MAX_QUESTION_CHARS])
        if not content_words(question):
            return NoAnswer(question, NoAnswerReason.EMPTY)
        ranked = self.ranked(question)
        candidates = tuple(Candidate(s.entry, round(s.confidence, 4)) for s in ranked[:SHOWN])
        if not candidates:
            return NoAnswer(question, NoAnswerReason.LOW_CONFIDENCE, (), (), 0.0)
        best = candidates[0]
        if best.score >= self.threshold:
            return Answer(question, best.entry, best.score, candidates[1:4], candidates)
        suggestions = tuple(c for c in candidates[:3] if c.score >= SUGGESTION_FLOOR)
        return NoAnswer(
            question, NoAnswerReason.LOW_CONFIDENCE, suggestions, candidates, best.score
        )

    def rank(self, text: str, limit: int = SHOWN) -> list[Candidate]:
        """The closest entries with their confidence, best first."""
        ranked = self.ranked(clean_question(text[:MAX_QUESTION_CHARS]) or text)
        return [Candidate(s.entry, round(s.confidence, 4)) for s in ranked[:limit]]

    def ranked(self, question: str) -> list[Scored]:
        """Every candidate for a cleaned message, best first, each entry once."""
        message = parse_message(question)
        texts = message.queries
        vectors = None if self.encoder is None else self.encoder.encode(texts)
        best: dict[str, Scored] = {}
        for i, text in enumerate(texts):
            is_error = text in message.errors
            query = None if vectors is None else vectors[i]
            for scored in self._score(text, query, error_line=is_error):
                kept = best.get(scored.entry.id)
                if kept is None or scored.confidence > kept.confidence:
                    best[scored.entry.id] = scored
        return sorted(best.values(), key=lambda s: -s.confidence)

    def answer_entry(self, entry_id: str, question: str | None = None) -> Answer | None:
        """The answer for an entry chosen by the member (autocomplete, a suggestion button)."""
        entry = self.knowledge.get(entry_id)
        if entry is None:
            return None
        others = [c for c in self.rank(question or entry.question, 4) if c.entry.id != entry_id]
        chosen = Candidate(entry, 1.0)
        return Answer(question or entry.question, entry, 1.0, tuple(others[:3]), (chosen, *others))

    def complete(self, prefix: str, limit: int = 25) -> list[Entry]:
        """Entry questions for autocomplete as the member types (the last word may be partial)."""
        text = clean_question(prefix[:MAX_QUESTION_CHARS])
        if not content_words(text):
            return list(self.entries[:limit])
        terms = self.index.query_terms(text, prefix_last=True)
        hits = self.index.search(terms, max(limit, RERANK))
        if not hits:
            return []
        # Lexical only: a prefix is not a sentence, and it runs at every keystroke.
        signals = self._signals(text, [h.doc for h in hits], hits, None, error_line=False)
        order = np.argsort(-LEXICAL.logits(signals), kind="stable")
        return [self.entries[hits[i].doc] for i in order[:limit]]

    # --- scoring one text ---------------------------------------------------------------------

    def _score(self, text: str, query: np.ndarray | None, *, error_line: bool) -> list[Scored]:
        docs, signals = self.candidates(text, query, error_line=error_line)
        confidence = self.calibration.confidence(signals)
        return [
            Scored(self.entries[doc], float(c), tuple(row.tolist()))
            for doc, c, row in zip(docs, confidence, signals, strict=True)
        ]

    def candidates(
        self, text: str, query: np.ndarray | None, *, error_line: bool = False
    ) -> tuple[list[int], np.ndarray]:
        """The candidate entries (positions) for one text and their signals."""
        nearest: Sequence[int] = ()
        if query is not None and self.vectors is not None:
            nearest = self.vectors.nearest(query[None, :], NEAREST)[0].tolist()
        hits = self.index.search(self.index.query_terms(text), RERANK, also=nearest)
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
        """(candidates, signals) as listed in ``bot.confidence.SIGNALS``."""
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
        signals[:, _COLUMN["lead"]] = self._lead(lead_base(signals), docs)
        unknown = [w for w in name_like_words(text) if not self.index.knows(w)]
        signals[:, _COLUMN["unknown_names"]] = min(len(unknown), 2)
        signals[:, _COLUMN["foreign"]] = float(looks_foreign(text))
        signals[:, _COLUMN["error_line"]] = float(error_line)
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

    def _lead(self, base: np.ndarray, docs: list[int]) -> np.ndarray:
        """Each candidate's margin over the best other candidate that asks something else:
        the same question in two courses must not lower either's confidence."""
        if len(docs) < 2:
            return np.full(len(docs), 0.3)
        same = self._same_question(docs)
        others = np.where(same, -np.inf, base[None, :])
        np.fill_diagonal(others, -np.inf)
        runner_up = others.max(axis=1)
        lead = np.where(np.isfinite(runner_up), base - runner_up, 0.3)
        clipped: np.ndarray = np.clip(lead, -0.3, 0.3)
        return clipped

    def _same_question(self, docs: list[int]) -> np.ndarray:
        """(n, n) True where two candidates ask the same thing."""
        folded = [self._folded[d] for d in docs]
        same = np.array([[a == b for b in folded] for a in folded])
        if self.vectors is not None:
            wordings = self.vectors.wordings[docs]
            same |= (wordings @ wordings.T) >= SAME_MEANING
        return same
