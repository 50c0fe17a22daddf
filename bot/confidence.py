"""How sure the matcher is that an entry answers a question: two small logistic models.

Each candidate entry is described by the signals below. A ranking model orders the candidates
(``rank``: log-odds from the signals and three derived from meaning). A decision model then
gives each candidate its confidence, an estimate of the probability that it answers the
question, from its rank score, its lead over the best candidate that asks something else,
and the absolute signals that tell an unanswerable question apart (``confidence``). One scale
serves the order shown, the answer threshold and the suggestions.

Both are fitted on the development evaluation sets by ``scripts/fit_confidence.py``, one
``Calibration`` per kind of matching (lexical only, word vectors, sentence model), because
their similarities are not on the same scale. The decision's bias is shifted so that the
default threshold, 0.45, is the one that serves members best on those sets: balanced accuracy,
less a price for each wrong answer (a wrong answer in public costs more than a refusal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# What the matcher measures of each candidate (see bot.matching for how).
SIGNALS = (
    "bm25",  # BM25F score relative to the best lexical match of the text
    "coverage",  # IDF-weighted share of the text's terms found in the entry
    "question_coverage",  # ... found in the entry's question (or aliases)
    "fuzzy",  # rapidfuzz similarity of the text to the entry's question
    "meaning_question",  # cosine similarity to the entry's question (its closest wording)
    "meaning_entry",  # cosine similarity to the entry's question with a part of its answer
    "off_topic",  # similarity to the closest known off-topic message, less the entry's
    "unknown_names",  # names (Berlin, Qwen3) the knowledge never mentions, at most 2
    "foreign",  # 1 when the message is most likely not English
    "error_line",  # 1 when the text is an error line pasted in the message
)
RANKING = (*SIGNALS, "meaning", "meaning_squared", "meaning_times_coverage", "margin")
DECISION = (
    "rank",  # the ranking model's log-odds
    "lead",  # ... less the best of the candidates that ask something else
    "meaning",
    "coverage",
    "fuzzy",
    "question_coverage",
    "off_topic_excess",  # how far the question leans to an off-topic message (0 if not)
    "unknown_names",
    "foreign",
    "meaning_question",
    "meaning_entry",
)
LEAD_CAP = 3.0  # log-odds; a lead beyond this says nothing more
MARGIN_CAP = 0.3  # of the ranking's margin: beyond it, a clear winner is no clearer
OFF_TOPIC_SLACK = 0.2  # an off-topic message this much less similar than the entry is harmless
_S = {name: i for i, name in enumerate(SIGNALS)}


def _over_others(values: np.ndarray, same: np.ndarray, cap: float) -> np.ndarray:
    """Each value less the best value of the candidates that ask something else, capped."""
    if not len(values):
        return values
    others = np.where(same, -np.inf, values[None, :]).max(axis=1)
    margin: np.ndarray = np.clip(np.where(np.isfinite(others), values - others, cap), -cap, cap)
    return margin


def ranking_features(signals: np.ndarray, same: np.ndarray) -> np.ndarray:
    """(candidates, SIGNALS) -> (candidates, RANKING); ``same`` as for decision_features."""
    meaning = np.maximum(signals[:, _S["meaning_question"]], signals[:, _S["meaning_entry"]])
    closeness = meaning + 0.5 * signals[:, _S["fuzzy"]] + 0.5 * signals[:, _S["coverage"]]
    derived = [
        meaning,
        meaning * meaning,
        meaning * signals[:, _S["coverage"]],
        _over_others(closeness, same, MARGIN_CAP),
    ]
    return np.hstack([signals, np.stack(derived, axis=1)])


def decision_features(signals: np.ndarray, rank: np.ndarray, same: np.ndarray) -> np.ndarray:
    """(candidates, DECISION); ``same[i, j]`` when candidates i and j ask the same thing, so
    the same question in two courses does not lower either's confidence."""
    lead = _over_others(rank, same, LEAD_CAP)
    meaning_question = signals[:, _S["meaning_question"]]
    meaning_entry = signals[:, _S["meaning_entry"]]
    excess = np.maximum(0.0, signals[:, _S["off_topic"]] + OFF_TOPIC_SLACK)
    columns = [
        rank,
        lead,
        np.maximum(meaning_question, meaning_entry),
        signals[:, _S["coverage"]],
        signals[:, _S["fuzzy"]],
        signals[:, _S["question_coverage"]],
        excess,
        signals[:, _S["unknown_names"]],
        signals[:, _S["foreign"]],
        meaning_question,
        meaning_entry,
    ]
    return np.stack(columns, axis=1)


@dataclass(frozen=True, slots=True)
class Calibration:
    """The fitted weights of both models for one kind of matching."""

    name: str
    rank_bias: float
    rank_weights: tuple[float, ...]
    decision_bias: float
    decision_weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.rank_weights) != len(RANKING) or len(self.decision_weights) != len(DECISION):
            raise ValueError(f"calibration {self.name!r} does not fit the signals")

    def rank(self, signals: np.ndarray, same: np.ndarray) -> np.ndarray:
        """Log-odds used to order candidates."""
        weights = np.asarray(self.rank_weights)
        logits: np.ndarray = ranking_features(signals, same) @ weights + self.rank_bias
        return logits

    def confidence(self, signals: np.ndarray, same: np.ndarray) -> np.ndarray:
        """The probability-like confidence (0–1) of each candidate."""
        features = decision_features(signals, self.rank(signals, same), same)
        logits = features @ np.asarray(self.decision_weights) + self.decision_bias
        confidence: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return confidence


# Fitted by scripts/fit_confidence.py on the development sets (see docs/matching.md).
LEXICAL = Calibration(
    "lexical",
    -8.857,
    (5.8, 1.145, 0.1128, 4.285, 0, 0, 0, -0.3546, -1.6, 0.7902, 0, 0, 0, 3.904),
    -4.135,
    (0.5821, 0.7033, 0, 1.226, 1.788, 1.183, 2.384e-15, -0.8008, -1.183, 0, 0),
)
WORD_VECTORS = Calibration(
    "word-vectors",
    -10.31,
    (
        5.336,
        2.271,
        0.03855,
        2.291,
        0.3484,
        1.585,
        -0.9705,
        -0.2521,
        -1.102,
        0.8244,
        -0.1554,
        2.625,
        -1.595,
        4.056,
    ),
    -3.263,
    (1.147, 0.4718, 0.4186, 0.531, -0.4907, 0.7729, -1.845, -0.613, -0.5475, -0.646, 2.008),
)
SENTENCE_MODEL = Calibration(
    "sentence-model",
    -7.057,
    (
        4.353,
        0.8023,
        -0.6754,
        -1.237,
        1.166,
        2.901,
        0.1879,
        -0.1096,
        -1.291,
        0.4299,
        1.383,
        1.274,
        -0.5912,
        5.228,
    ),
    -3.939,
    (0.7427, 0.6319, 0.856, 1.474, -0.4434, 0.1378, -4.248, -0.03617, -0.7303, 0.8304, 1.281),
)
