"""Unanswered questions grouped by what they mean, and off-topic ones told apart from real gaps.

The database hands over the most asked distinct wordings (a few thousand at most). Spelling
variants (case, punctuation, spaces) are merged first; then each wording, most asked first,
joins the group of the closest wording before it when the two mean nearly the same (cosine
similarity of the meaning encoder's vectors), or starts a new group. A group whose first
wording is close in meaning to one of the off-topic examples (``bot.off_topic`` and the
knowledge's ``off-topic.txt``) is listed apart: no source could answer it and none should.
Without an encoder (EMBEDDING_MODEL ``off``) wordings are grouped by their letters (rapidfuzz)
and nothing is called off-topic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process, utils

from bot.report.model import QuestionGroup

# (group, off-topic) similarity thresholds per encoder. The sentence model puts paraphrases at
# 0.72-0.9 ("homework deadline?" / "homework due date?") and related but different questions
# at 0.35-0.6 ("deadline?" / "how do I submit?"). At 0.45, 73 of 90 weather, salary, resume
# and trivia questions are off-topic and 20 of 273 course questions of the evaluation sets
# would be (refunds, certificates, slides: logistics the bundled examples name). The word
# vectors are less discerning.
SENTENCE_THRESHOLDS = (0.7, 0.45)
ENCODER_THRESHOLDS = {"word-vectors": (0.85, 0.7)}
BLOCK = 256  # rows of similarities computed at once (256 x 3,000 floats: 3 MB)
TEXT_SIMILARITY = 80  # rapidfuzz WRatio at which two wordings count as one, without an encoder


@dataclass(frozen=True, slots=True)
class Spelling:
    """Wordings that differ only in case, punctuation or spaces, counted together."""

    key: str  # the normalised text
    text: str  # the most asked wording
    count: int


def thresholds(encoder_name: str | None) -> tuple[float, float]:
    return ENCODER_THRESHOLDS.get(encoder_name or "", SENTENCE_THRESHOLDS)


def merge_spellings(wordings: Sequence[tuple[str, int]]) -> list[Spelling]:
    """Wordings (text, count) merged by their normalised text, most asked first."""
    counts: Counter[str] = Counter()
    shown: dict[str, tuple[int, str]] = {}
    for text, count in wordings:
        key = utils.default_process(text)
        if not key:
            continue  # nothing but punctuation: not a question anyone can answer
        counts[key] += count
        tidy = " ".join(text.split())
        if key not in shown or count > shown[key][0]:
            shown[key] = (count, tidy)
    return [Spelling(key, shown[key][1], n) for key, n in sorted(counts.items(), key=_most_asked)]


def _most_asked(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def by_meaning(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Indexes of ``vectors`` (unit length, most asked first) grouped by meaning.

    A wording joins the group of the closest wording before it when that one is close enough,
    so "how to install docker on windows" meets "How do I install Docker?" even when the group
    was started by "docker installation steps?".
    """
    group_of: list[int] = []
    members: list[list[int]] = []
    for start in range(0, len(vectors), BLOCK):
        # One matrix product per block of rows: a product per row costs 10x as much.
        block = vectors[start : start + BLOCK] @ vectors[: start + BLOCK].T
        for offset, row in enumerate(block):
            i = start + offset
            closest = int(np.argmax(row[:i])) if i else 0
            if i and row[closest] >= threshold:
                group_of.append(group_of[closest])
                members[group_of[closest]].append(i)
            else:
                group_of.append(len(members))
                members.append([i])
    return members


def by_text(spellings: Sequence[Spelling], similarity: int = TEXT_SIMILARITY) -> list[list[int]]:
    """Indexes of ``spellings`` (most asked first) grouped by rapidfuzz WRatio."""
    heads: list[str] = []
    members: list[list[int]] = []
    for i, spelling in enumerate(spellings):
        found = process.extractOne(spelling.key, heads, scorer=fuzz.WRatio, score_cutoff=similarity)
        if found is None:
            heads.append(spelling.key)
            members.append([i])
        else:
            members[found[2]].append(i)
    return members


def off_topic(heads: np.ndarray, examples: np.ndarray, threshold: float) -> np.ndarray:
    """For each head vector: True when it is that close to an off-topic example."""
    if len(heads) == 0 or len(examples) == 0:
        return np.zeros(len(heads), dtype=bool)
    return np.asarray((heads @ examples.T).max(axis=1) >= threshold)


def as_groups(
    spellings: Sequence[Spelling], members: Sequence[Sequence[int]], wordings: int
) -> list[QuestionGroup]:
    """Groups of spellings, most asked first, each with up to ``wordings`` other wordings."""
    groups = [
        QuestionGroup(
            question=spellings[ids[0]].text,
            count=sum(spellings[i].count for i in ids),
            variants=tuple(spellings[i].text for i in ids[1 : wordings + 1]),
        )
        for ids in members
    ]
    return sorted(groups, key=lambda g: -g.count)


def group_questions(
    questions: Sequence[str], *, similarity: int = TEXT_SIMILARITY
) -> list[QuestionGroup]:
    """Group similar wordings by their letters, most asked first (no encoder needed)."""
    spellings = merge_spellings(list(Counter(questions).items()))
    return as_groups(spellings, by_text(spellings, similarity), wordings=len(spellings))
