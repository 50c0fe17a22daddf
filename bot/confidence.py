"""How sure the matcher is that an entry answers a question: a small logistic model.

Each candidate entry is described by the signals below; its confidence is
``sigmoid(bias + sum(weight * signal))``, an estimate of the probability that the entry
answers the question. One scale serves ranking, the answer threshold and the suggestions. The
weights are fitted on the development evaluation sets by ``scripts/fit_confidence.py``, one set
of weights per kind of matching (lexical only, word vectors, sentence model), because their
similarities are not on the same scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The signals, in the order of the weights (see bot.matching for how each is measured).
SIGNALS = (
    "bm25",  # BM25F score relative to the best lexical match of the question
    "coverage",  # IDF-weighted share of the question's terms found in the entry
    "question_coverage",  # ... found in the entry's question (or aliases)
    "fuzzy",  # rapidfuzz similarity of the question to the entry's question
    "meaning_question",  # cosine similarity to the entry's question (best wording)
    "meaning_entry",  # cosine similarity to the entry's question with the start of its answer
    "lead",  # margin over the best other entry that is not a near-duplicate of this one
    "off_topic",  # how much more the question means a known off-topic message than the entry
    "unknown_names",  # names (Berlin, Qwen3) the knowledge never mentions, at most 2
    "foreign",  # 1 when the message is most likely not English
    "error_line",  # 1 when the text matched is an error line pasted in the message
)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Weights of the confidence model for one kind of matching."""

    name: str
    bias: float
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != len(SIGNALS):
            raise ValueError(f"{self.name}: {len(self.weights)} weights for {len(SIGNALS)}")

    def logits(self, signals: np.ndarray) -> np.ndarray:
        """(candidates, signals) -> (candidates,) log-odds that each entry answers."""
        logits: np.ndarray = signals @ np.asarray(self.weights, dtype=np.float64) + self.bias
        return logits

    def confidence(self, signals: np.ndarray) -> np.ndarray:
        confidence: np.ndarray = 1.0 / (1.0 + np.exp(-self.logits(signals)))
        return confidence


def lead_base(signals: np.ndarray) -> np.ndarray:
    """The fixed score the ``lead`` signal compares candidates on."""
    s = {name: signals[:, i] for i, name in enumerate(SIGNALS)}
    base: np.ndarray = (
        0.5 * s["fuzzy"]
        + 0.5 * s["coverage"]
        + np.maximum(s["meaning_question"], s["meaning_entry"])
    )
    return base


# Fitted by scripts/fit_confidence.py; placeholders until then.
LEXICAL = Calibration("lexical", -4.0, (0.5, 2.5, 0.5, 3.0, 0.0, 0.0, 3.0, 0.0, -1.0, -2.0, 0.0))
WORD_VECTORS = Calibration(
    "word-vectors", -4.0, (0.5, 2.0, 0.5, 2.5, 1.0, 1.0, 3.0, -2.0, -1.0, -2.0, 0.0)
)
SENTENCE_MODEL = Calibration(
    "sentence-model", -4.0, (0.5, 1.5, 0.5, 1.5, 3.0, 2.0, 3.0, -3.0, -1.0, -2.0, 0.0)
)
