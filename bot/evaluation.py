"""Evaluation of the matcher on labelled questions: ranking and abstaining metrics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import UsageError
from bot.matching import Matcher
from bot.models import Answer


@dataclass(frozen=True, slots=True)
class Case:
    """A labelled question: the entries that answer it (any one is right), none to refuse."""

    question: str
    expected: tuple[str, ...]  # entry ids, best first; empty when the bot should refuse
    line: int


@dataclass(frozen=True, slots=True)
class Failure:
    case: Case
    got: str | None  # the answered id, or None when it abstained
    rank: int | None  # 1-based rank of the first expected entry among the top 5
    score: float


@dataclass(frozen=True, slots=True)
class Report:
    in_scope: int
    out_of_scope: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    mrr: float
    answered_correctly: float  # in-scope answered with the right entry (true positive rate)
    refused: float  # out-of-scope refused (true negative rate)
    balanced_accuracy: float
    wrong_answers: int  # answered, but with the wrong entry (in scope) or at all (out of scope)
    failures: tuple[Failure, ...] = field(default=())

    def as_dict(self) -> dict[str, float | int]:
        return {
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
            "hit@1": round(self.hit_at_1, 4),
            "hit@3": round(self.hit_at_3, 4),
            "hit@5": round(self.hit_at_5, 4),
            "mrr": round(self.mrr, 4),
            "answered_correctly": round(self.answered_correctly, 4),
            "refused_out_of_scope": round(self.refused, 4),
            "balanced_accuracy": round(self.balanced_accuracy, 4),
            "wrong_answers": self.wrong_answers,
        }


def read_cases(path: Path) -> list[Case]:
    """JSONL lines ``{"q": ..., "expected": id, [ids] or null}``; errors name the line.

    A list names every entry that answers the question (a message that asks several things,
    or the same question in two places): answering any of them is right.
    """
    if not path.is_file():
        raise UsageError(f"{path}: evaluation file not found")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            question, expected = record["q"], record.get("expected")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            expected_form = '{"q": ..., "expected": ...}'
            raise UsageError(f"{path}:{number}: expected {expected_form}: {exc}") from None
        ids = [expected] if isinstance(expected, str) else expected or []
        if not isinstance(question, str) or not all(isinstance(i, str) for i in ids):
            raise UsageError(
                f"{path}:{number}: 'q' must be text and 'expected' an id, a list of ids or null"
            )
        cases.append(Case(question, tuple(ids), number))
    if not cases:
        raise UsageError(f"{path}: no questions in the file")
    return cases


def evaluate(matcher: Matcher, cases: Sequence[Case]) -> Report:
    knowledge = matcher.knowledge
    unknown = [(c, i) for c in cases for i in c.expected if knowledge.get(i) is None]
    if unknown:
        first, entry_id = unknown[0]
        raise UsageError(
            f"line {first.line}: expected id {entry_id!r} is not in the knowledge base "
            f"({len(unknown)} unknown id(s) in all)"
        )
    hits1 = hits3 = hits5 = reciprocal = answered_right = refused = wrong = 0.0
    failures = []
    in_scope = [c for c in cases if c.expected]
    out_scope = [c for c in cases if not c.expected]
    for case in cases:
        result = matcher.ask(case.question)
        ranked = [c.entry.id for c in result.candidates]
        got = result.entry.id if isinstance(result, Answer) else None
        ranks = [ranked.index(i) + 1 for i in case.expected if i in ranked]
        rank = min(ranks) if ranks else None
        if not case.expected:
            ok = got is None
            refused += ok
            wrong += not ok
        else:
            hits1 += rank == 1
            hits3 += rank is not None and rank <= 3
            hits5 += rank is not None and rank <= 5
            reciprocal += 1.0 / rank if rank else 0.0
            ok = got in case.expected
            answered_right += ok
            wrong += got is not None and not ok
        if not ok:
            failures.append(Failure(case, got, rank, result.score))
    n_in, n_out = max(1, len(in_scope)), max(1, len(out_scope))
    tpr = answered_right / n_in
    tnr = refused / n_out if out_scope else 1.0
    return Report(
        in_scope=len(in_scope),
        out_of_scope=len(out_scope),
        hit_at_1=hits1 / n_in,
        hit_at_3=hits3 / n_in,
        hit_at_5=hits5 / n_in,
        mrr=reciprocal / n_in,
        answered_correctly=tpr,
        refused=tnr,
        balanced_accuracy=(tpr + tnr) / 2,
        wrong_answers=int(wrong),
        failures=tuple(failures),
    )
