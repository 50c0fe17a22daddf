"""Match a member's message to the closest entry and decide: answer, or say there is no match.

Confidence, on a 0–1 scale: how much of the question the entry accounts for. It blends the
IDF-weighted share of the question's terms found in the entry (40 %, plus 10 % for those in the
entry's question), the rapidfuzz similarity of the two questions (40 %), and the lead over the
runner-up (10 %); it is halved for a message in another language and cut by 30 % for each name
(Berlin, Qwen3) no entry mentions. 0 means nothing in common;
1 means the entry's question says the same thing and no other entry comes close. The default
threshold, 0.45, was chosen on the evaluation sets.

With a meaning encoder (``bot.meaning``: the bundled word vectors by default, or a sentence
model), the index still finds the candidates; their similarity to the question (the better of
entry question, and question with answer), scaled so the encoder's floor is 0, makes up the
encoder's share of the ranking score and of the confidence (20 % and 30 % for the word vectors),
on the same scale and threshold. A question that means one of the off-topic examples
(``bot.off_topic``, and the knowledge folder's ``off-topic.txt``) about as much as its best entry,
or more, loses confidence: the difference in similarity plus the encoder's slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.index import Hit, SearchIndex
from bot.knowledge import KnowledgeBase
from bot.meaning import MeaningEncoder, MeaningWeights
from bot.models import Answer, Candidate, Entry, NoAnswer, NoAnswerReason, Result
from bot.off_topic import OFF_TOPIC_EXAMPLES
from bot.settings import DEFAULT_THRESHOLD
from bot.text import clean_question, content_words, looks_foreign, name_like_words

MAX_QUESTION_CHARS = 2_000  # longer messages are cut before matching
RERANK = 20  # candidates re-scored with rapidfuzz after the index search
FUZZY_CHARS = 120  # pasted error messages can be long; their start is what members quote
FOREIGN_PENALTY = 0.5  # the knowledge is English; shared words in another language mean little
UNKNOWN_NAME_PENALTY = 0.7  # per name (Berlin, Qwen3) that no entry mentions, at most two
CLEAR_LEAD = 0.3  # a lead in rank score over the runner-up that counts as a clear winner
ANSWER_CHARS = 500  # of an answer, encoded with its question: the start says what it is about
OFF_TOPIC_WEIGHT = 1.0  # confidence lost per unit an off-topic example is closer than the entry


@dataclass(frozen=True, slots=True)
class Scored:
    entry: Entry
    rank_score: float
    confidence: float
    meaning: float | None = None  # similarity to the question (scaled), with meaning on


class Matcher:
    """Ranks entries for free text; ``ask`` applies the threshold and the clear-winner rule."""

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
        self.encoder = encoder
        if encoder is not None:
            n = len(self.entries)
            texts = [e.question for e in self.entries]
            texts += [f"{e.question}. {e.answer[:ANSWER_CHARS]}" for e in self.entries]
            texts += OFF_TOPIC_EXAMPLES + knowledge.off_topic
            vectors = encoder.encode_documents(texts)  # one read (and write) of the disk cache
            self._question_vectors = vectors[:n]
            self._entry_vectors = vectors[n : 2 * n]
            self._off_topic_vectors = vectors[2 * n :]

    def _meaning(
        self, query: np.ndarray, hits: Sequence[Hit], weights: MeaningWeights
    ) -> np.ndarray:
        """Similarity of the question's vector to each hit's entry, scaled to 0–1 from the floor."""
        docs = [hit.doc for hit in hits]
        to_question = self._question_vectors[docs] @ query
        similarity = np.maximum(to_question, self._entry_vectors[docs] @ query)
        return weights.scale(similarity)

    def _score(
        self, text: str, hits: Sequence[Hit], query_vector: np.ndarray | None = None
    ) -> list[Scored]:
        if not hits:
            return []
        query = " ".join(content_words(text))[:FUZZY_CHARS]
        top_bm25 = hits[0].bm25
        questions = [self._questions[hit.doc] for hit in hits]
        similarity = process.cdist([query], questions, scorer=fuzz.token_sort_ratio)[0] / 100.0
        if len(query) > 12:  # a long question may contain the entry's shorter one
            partial = process.cdist([query], questions, scorer=fuzz.partial_ratio)[0] / 100.0
            similarity = np.maximum(similarity, 0.85 * partial)
        scored = []
        for hit, fuzzy in zip(hits, similarity.tolist(), strict=True):
            confidence = 0.4 * hit.coverage + 0.1 * hit.question_coverage + 0.4 * fuzzy
            rank = 0.3 * hit.bm25 / top_bm25 + 0.4 * confidence + 0.3 * fuzzy
            scored.append(Scored(self.entries[hit.doc], rank, confidence))
        if query_vector is not None and self.encoder is not None:
            weights = self.encoder.weights
            meaning = self._meaning(query_vector, hits, weights)
            top_rank = max(s.rank_score for s in scored) or 1.0
            scored = [
                Scored(
                    s.entry,
                    (1 - weights.rank) * s.rank_score / top_rank + weights.rank * sim,
                    (1 - weights.confidence) * s.confidence + weights.confidence * sim,
                    sim,
                )
                for s, sim in zip(scored, meaning.tolist(), strict=True)
            ]
        scored.sort(key=lambda s: -s.rank_score)
        return scored

    def _query_vector(self, text: str) -> np.ndarray | None:
        return None if self.encoder is None else self.encoder.encode([text])[0]

    def _ranked(
        self, text: str, limit: int, query_vector: np.ndarray | None = None
    ) -> list[Scored]:
        text = text[:MAX_QUESTION_CHARS]
        hits = self.index.search(self.index.query_terms(text), max(limit, RERANK))
        return self._score(text, hits, query_vector)[:limit]

    def rank(self, text: str, limit: int = 5) -> list[Candidate]:
        """The closest entries with their confidence, best first."""
        ranked = self._ranked(text, limit, self._query_vector(text[:MAX_QUESTION_CHARS]))
        return [Candidate(s.entry, round(s.confidence, 4)) for s in ranked]

    def _off_topic_penalty(self, query_vector: np.ndarray | None, best: Scored) -> float:
        """Confidence lost when the question means an off-topic example more than the entry."""
        if query_vector is None or best.meaning is None or self.encoder is None:
            return 0.0
        weights = self.encoder.weights
        closest = float(np.max(weights.scale(self._off_topic_vectors @ query_vector)))
        return OFF_TOPIC_WEIGHT * max(0.0, closest - best.meaning + weights.off_topic_slack)

    def ask(self, text: str) -> Result:
        """Answer a raw chat message, or explain that there is no confident match."""
        question = clean_question(text[:MAX_QUESTION_CHARS])
        if not content_words(question):
            return NoAnswer(question, NoAnswerReason.EMPTY)
        query_vector = self._query_vector(question)
        ranked = self._ranked(question, 5, query_vector)
        candidates = tuple(Candidate(s.entry, round(s.confidence, 4)) for s in ranked)
        if not ranked:
            return NoAnswer(question, NoAnswerReason.LOW_CONFIDENCE, (), (), 0.0)
        best = ranked[0]
        # Clear-winner rule: the last tenth of the scale is earned by a lead over the runner-up.
        gap = best.rank_score - ranked[1].rank_score if len(ranked) > 1 else CLEAR_LEAD
        confidence = min(1.0, best.confidence + 0.1 * min(gap, CLEAR_LEAD) / CLEAR_LEAD)
        confidence = max(0.0, confidence - self._off_topic_penalty(query_vector, best))
        if looks_foreign(question):  # the knowledge is English: shared words are not enough
            confidence *= FOREIGN_PENALTY
        unknown_names = [w for w in name_like_words(question) if not self.index.knows(w)]
        confidence *= UNKNOWN_NAME_PENALTY ** min(len(unknown_names), 2)
        confidence = round(confidence, 4)
        if confidence >= self.threshold:
            return Answer(question, best.entry, confidence, candidates[1:4], candidates)
        return NoAnswer(
            question, NoAnswerReason.LOW_CONFIDENCE, candidates[:3], candidates, confidence
        )

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
        # Lexical only: a prefix is not a sentence, and it runs at every keystroke.
        return [s.entry for s in self._score(text, hits)[:limit]]
