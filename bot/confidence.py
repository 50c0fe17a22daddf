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
    "brevity",  # 1 / the number of content words of the text: "install pandas?" is 0.5
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
    "brief_uncovered",  # a short question whose words the entry's question lacks
    "brief_unmeant",  # a short question the entry's question does not mean
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
    brevity = signals[:, _S["brevity"]]
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
        brevity * (1.0 - signals[:, _S["question_coverage"]]),
        brevity * (1.0 - meaning_question),
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
    -7.86,
    (5.471, 1.828, 0.5745, 3.552, 0, 0, 0, -0.3941, -1.467, 0.4524, -4.656, 0, 0, 0, 3.782),
    -1.214,
    (1.067, 0.5549, 0, 0.549, -0.7839, 0.868, 1.479e-15, -0.4975, -0.696, 0, 0, -2.293, -1.17),
)
WORD_VECTORS = Calibration(
    "word-vectors",
    -9.055,
    (
        4.947,
        3.155,
        0.315,
        2.048,
        0.215,
        0.9096,
        -0.08842,
        -0.3298,
        -0.9643,
        0.6031,
        -3.166,
        -0.4282,
        3.055,
        -1.911,
        4.187,
    ),
    1.454,
    (
        1.588,
        0.2545,
        -1.468,
        -0.5787,
        -1.52,
        0.8001,
        -1.528,
        -0.5489,
        -0.4231,
        -1.306,
        0.8165,
        -1.708,
        0.7041,
    ),
)
SENTENCE_MODEL = Calibration(
    "sentence-model",
    -7.21,
    (
        3.953,
        1.637,
        -0.6973,
        -0.3014,
        1.03,
        2.434,
        1.095,
        -0.1161,
        -1.15,
        0.289,
        -1.968,
        1.932,
        1.997,
        -0.8766,
        4.802,
    ),
    -1.575,
    (
        0.9769,
        0.4591,
        0.2077,
        0.7978,
        0.6574,
        0.08101,
        -4.391,
        -0.1722,
        -0.6445,
        -0.1707,
        -0.6891,
        -1.791,
        -2.023,
    ),
)
