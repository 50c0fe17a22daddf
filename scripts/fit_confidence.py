"""Fit the confidence models (``bot/confidence.py``) on the development evaluation sets.

    python scripts/fit_confidence.py [--embedding-model off|word-vectors|DIR] [--holdout]

For every question of the development sets the matcher's candidate rows are collected. The
ranking model is a logistic regression over every row (is this row an expected entry?); the
decision model, over the row each question's ranking puts first (is that entry right, or
should the bot refuse?). Each set weighs the same, whatever its size, and a small L2 penalty
keeps the weights modest. The decision's bias is then shifted so that the default threshold
(0.45) maximises balanced accuracy less a price for wrong answers on those sets. Prints the
``Calibration`` to paste into ``bot/confidence.py`` and the figures on the development sets
and, with ``--holdout``, on the held-out sets, which are never fitted on.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_table import EVAL, KNOWLEDGE, SETS, available

from bot.confidence import DECISION, RANKING, Calibration, decision_features, ranking_features
from bot.evaluation import read_cases
from bot.knowledge import load_knowledge
from bot.matching import Matcher, Pool
from bot.meaning import MeaningEncoder
from bot.semantic import open_encoder
from bot.settings import DEFAULT_THRESHOLD, load_core_settings
from bot.text import clean_question, content_words

DEVELOPMENT = ("questions", "webinars", "faq", "slack-de", "generic")
WRONG_PRICE = 0.5  # a wrong answer costs this much balanced accuracy per in-scope share
RANK_L2 = 1.0
DECISION_L2 = 0.3


@dataclasses.dataclass
class Question:
    expected: tuple[str, ...]
    entry_ids: list[str]  # one per candidate row
    pool: Pool


class CachedQuestions:
    """Wraps the encoder so question vectors are kept across runs (encoding dominates)."""

    def __init__(self, encoder: MeaningEncoder, path: Path) -> None:
        self.encoder = encoder
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                self.vectors = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def __getattr__(self, name: str) -> object:
        return getattr(self.encoder, name)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.encoder.encode(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts])

    def save(self) -> None:
        if self.vectors:
            texts = np.array(list(self.vectors))
            np.savez(self.path, texts=texts, vectors=np.stack(list(self.vectors.values())))


def collect(matcher: Matcher, path: Path) -> list[Question]:
    out = []
    for case in read_cases(path):
        question = clean_question(case.question)
        pool = matcher.pool(question) if content_words(question) else Pool.empty()
        ids = [matcher.entries[doc].id for doc in pool.docs]
        out.append(Question(case.expected, ids, pool))
    return out


def logistic(x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float) -> np.ndarray:
    """Newton's method; returns [bias, *weights]; constant columns get weight 0."""
    used = x.std(axis=0) > 0
    design = np.hstack([np.ones((len(x), 1)), x[:, used]])
    w = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (weights * (p - y)) + penalty * w
        hessian = (design * (weights * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    full = np.zeros(x.shape[1] + 1)
    full[0] = w[0]
    full[1:][used] = w[1:]
    return full


def fit(sets: dict[str, list[Question]], name: str) -> Calibration:
    xs, ys, ws = [], [], []
    for questions in sets.values():
        rows = [q for q in questions if q.entry_ids]
        for q in rows:
            xs.append(ranking_features(q.pool.signals, q.pool.same))
            ys.append([float(i in q.expected) for i in q.entry_ids])
            ws.append(np.ones(len(q.entry_ids)))
    weights = np.concatenate(ws)
    rank = logistic(np.concatenate(xs), np.concatenate(ys), weights / weights.mean(), RANK_L2)
    ranking = Calibration(name, rank[0], tuple(rank[1:]), 0.0, (0.0,) * len(DECISION))
    xs, ys, ws = [], [], []
    for questions in sets.values():
        rows = [q for q in questions if q.entry_ids]
        for q in rows:
            logits = ranking.rank(q.pool.signals, q.pool.same)
            top = int(np.argmax(logits))
            xs.append(decision_features(q.pool.signals, logits, q.pool.same)[top])
            ys.append(float(q.entry_ids[top] in q.expected))
            ws.append(1.0 / len(rows))
    weights = np.array(ws)
    decision = logistic(np.array(xs), np.array(ys), weights / weights.mean(), DECISION_L2)
    return dataclasses.replace(
        ranking, decision_bias=decision[0], decision_weights=tuple(decision[1:])
    )


def outcomes(questions: list[Question], calibration: Calibration, threshold: float) -> dict:
    n_in = sum(bool(q.expected) for q in questions)
    n_out = len(questions) - n_in
    hit1 = right = refused = wrong = 0
    for q in questions:
        best: dict[str, float] = {}
        if q.entry_ids:
            confidence = calibration.confidence(q.pool.signals, q.pool.same)
            for entry_id, c in zip(q.entry_ids, confidence.tolist(), strict=True):
                best[entry_id] = max(best.get(entry_id, 0.0), c)
        top = max(best, key=lambda e: best[e]) if best else None
        answered = top is not None and round(best[top], 4) >= threshold
        if q.expected:
            hit1 += top in q.expected
            right += answered and top in q.expected
            wrong += answered and top not in q.expected
        else:
            refused += not answered
            wrong += answered
    tpr, tnr = right / max(1, n_in), (refused / n_out if n_out else 1.0)
    return {
        "hit@1": hit1 / max(1, n_in),
        "ba": (tpr + tnr) / 2,
        "wrong": wrong,
        "wrong_share": wrong / max(1, n_in),
    }


def shifted(calibration: Calibration, sets: dict[str, list[Question]]) -> Calibration:
    """Move the decision's bias so the default threshold is the best one on ``sets``."""

    def objective(threshold: float) -> float:
        results = [outcomes(q, calibration, threshold) for q in sets.values()]
        return float(np.mean([r["ba"] - WRONG_PRICE * r["wrong_share"] for r in results]))

    best = max(np.arange(0.05, 0.95, 0.01), key=objective)
    logit = math.log(DEFAULT_THRESHOLD / (1 - DEFAULT_THRESHOLD))
    shift = logit - math.log(best / (1 - best))
    return dataclasses.replace(calibration, decision_bias=calibration.decision_bias + shift)


def literal(c: Calibration) -> str:
    def numbers(values: Sequence[float]) -> str:
        return ", ".join(f"{v:.4g}" for v in values)

    return (
        f'Calibration(\n    "{c.name}",\n    {c.rank_bias:.4g},\n    ({numbers(c.rank_weights)}),\n'
        f"    {c.decision_bias:.4g},\n    ({numbers(c.decision_weights)}),\n)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedding-model", default=None)
    parser.add_argument("--holdout", action="store_true", help="also report the held-out sets")
    args = parser.parse_args()
    settings = load_core_settings()
    encoder = open_encoder(args.embedding_model, settings.embedding_cache_dir)
    cached = None
    if encoder is not None:
        cached = CachedQuestions(encoder, Path(f"/tmp/qabot-questions-{encoder.weights.name}.npz"))
    matchers: dict[str, Matcher] = {}
    data: dict[str, list[Question]] = {}
    for name, folder in SETS:
        path = EVAL / f"{name}.jsonl"
        if not path.is_file() or not available(KNOWLEDGE[folder]):
            continue
        if name not in DEVELOPMENT and not args.holdout:
            continue
        if folder not in matchers:
            matchers[folder] = Matcher(load_knowledge(KNOWLEDGE[folder]), encoder=encoder)
            if cached is not None:
                matchers[folder].encoder = cached  # type: ignore[assignment]
        data[name] = collect(matchers[folder], path)
    if cached is not None:
        cached.save()
    current = next(iter(matchers.values())).calibration
    development = {name: data[name] for name in DEVELOPMENT if name in data}
    fitted = shifted(fit(development, current.name), development)
    for label, calibration in (("current", current), ("fitted", fitted)):
        print(f"\n{label}:")
        for tag, names in (
            ("dev", DEVELOPMENT),
            ("holdout", [n for n in data if n not in DEVELOPMENT]),
        ):
            results = [
                (n, outcomes(data[n], calibration, DEFAULT_THRESHOLD)) for n in names if n in data
            ]
            for name, r in results:
                print(
                    f"  {name:20} {tag:7} hit@1 {r['hit@1']:.3f}  BA {r['ba']:.3f}  "
                    f"wrong {r['wrong']:3d} ({r['wrong_share']:.1%})"
                )
            if results:
                mean = np.mean([r["ba"] for _, r in results])
                print(f"  mean BA {tag}: {mean:.4f}, wrong {sum(r['wrong'] for _, r in results)}")
    print("\n" + literal(fitted))
    for names, weights in ((RANKING, fitted.rank_weights), (DECISION, fitted.decision_weights)):
        print("  " + ", ".join(f"{n}={w:.2f}" for n, w in zip(names, weights, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
