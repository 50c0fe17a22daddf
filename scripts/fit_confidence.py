"""Fit the confidence model (``bot/confidence.py``) on the development evaluation sets.

    python scripts/fit_confidence.py [--embedding-model off|word-vectors|DIR] [--holdout]

For every question of the development sets, every candidate the matcher considers (for each
text of the message) becomes a row: its signals, and whether it is an expected entry. A
logistic regression with a small L2 penalty is fitted by Newton's method; then the bias is
shifted so that the default threshold (0.45) is the one that maximises balanced accuracy less
a price for wrong answers on those sets. Prints the ``Calibration`` to paste into
``bot/confidence.py`` and the figures before and after, on the development sets and (with
``--holdout``) the held-out ones, which are never fitted on.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_table import EVAL, KNOWLEDGE, SETS

from bot.confidence import SIGNALS, Calibration
from bot.evaluation import read_cases
from bot.knowledge import load_knowledge
from bot.matching import Matcher
from bot.message import parse_message
from bot.semantic import open_encoder
from bot.settings import DEFAULT_THRESHOLD, load_core_settings
from bot.text import clean_question, content_words

DEVELOPMENT = ("questions", "webinars", "faq", "slack-de")
WRONG_PRICE = 0.5  # a wrong answer costs this much more than a refusal (per in-scope share)
L2 = 1.0


@dataclasses.dataclass
class Question:
    expected: tuple[str, ...]
    entry_ids: list[str]  # one per row
    signals: np.ndarray  # (rows, signals)


class QueryCache:
    """Question vectors kept across runs of this script (encoding questions dominates it)."""

    def __init__(self, encoder: object, path: Path) -> None:
        self.encoder = encoder
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                self.vectors = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            fresh = self.encoder.encode(missing)  # type: ignore[attr-defined]
            self.vectors.update(zip(missing, fresh, strict=True))
        return np.stack([self.vectors[t] for t in texts])

    def save(self) -> None:
        if self.vectors:
            np.savez(
                self.path,
                texts=np.array(list(self.vectors)),
                vectors=np.stack(list(self.vectors.values())),
            )


def collect(matcher: Matcher, path: Path, cache: QueryCache | None) -> list[Question]:
    out = []
    for case in read_cases(path):
        question = clean_question(case.question)
        if not content_words(question):
            out.append(Question(case.expected, [], np.zeros((0, len(SIGNALS)))))
            continue
        message = parse_message(question)
        texts = message.queries
        vectors = None if cache is None else cache.encode(list(texts))
        ids: list[str] = []
        rows = []
        for i, text in enumerate(texts):
            query = None if vectors is None else vectors[i]
            docs, signals = matcher.candidates(text, query, error_line=text in message.errors)
            ids += [matcher.entries[d].id for d in docs]
            rows.append(signals)
        out.append(Question(case.expected, ids, np.concatenate(rows) if rows else rows))
    return out


def fit(questions: list[Question]) -> tuple[float, np.ndarray]:
    x = np.concatenate([q.signals for q in questions if len(q.entry_ids)])
    y = np.concatenate(
        [[float(i in q.expected) for i in q.entry_ids] for q in questions if len(q.entry_ids)]
    )
    used = x.std(axis=0) > 0  # signals a kind of matching does not have stay at 0
    design = np.hstack([np.ones((len(x), 1)), x[:, used]])
    w = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], L2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + penalty * w
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = np.zeros(len(SIGNALS))
    weights[used] = w[1:]
    return float(w[0]), weights


def outcomes(questions: list[Question], calibration: Calibration, threshold: float) -> dict:
    n_in = sum(bool(q.expected) for q in questions)
    n_out = len(questions) - n_in
    hit1 = right = refused = wrong = 0
    for q in questions:
        best: dict[str, float] = {}
        if len(q.entry_ids):
            for entry_id, c in zip(q.entry_ids, calibration.confidence(q.signals), strict=True):
                best[entry_id] = max(best.get(entry_id, 0.0), float(c))
        ranked = sorted(best, key=lambda e: -best[e])
        top = ranked[0] if ranked else None
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


def objective(results: list[dict]) -> float:
    return float(np.mean([r["ba"] - WRONG_PRICE * r["wrong_share"] for r in results]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedding-model", default=None)
    parser.add_argument("--holdout", action="store_true", help="also report the held-out sets")
    parser.add_argument("--dump", type=Path, help="write the collected rows (pickle)")
    args = parser.parse_args()
    settings = load_core_settings()
    encoder = open_encoder(args.embedding_model, settings.embedding_cache_dir)
    matchers: dict[str, Matcher] = {}
    data: dict[str, list[Question]] = {}
    cache = None
    if encoder is not None:
        cache = QueryCache(encoder, Path(f"/tmp/qabot-query-vectors-{encoder.weights.name}.npz"))
    for name, folder in SETS:
        path = EVAL / f"{name}.jsonl"
        if not path.is_file() or not KNOWLEDGE[folder].is_dir():
            continue
        if name not in DEVELOPMENT and not args.holdout:
            continue
        if folder not in matchers:
            matchers[folder] = Matcher(load_knowledge(KNOWLEDGE[folder]), encoder=encoder)
        data[name] = collect(matchers[folder], path, cache)
    if cache is not None:
        cache.save()
    if args.dump:
        import pickle

        args.dump.write_bytes(pickle.dumps(data))
    current = next(iter(matchers.values())).calibration
    dev = [q for name in DEVELOPMENT if name in data for q in data[name]]
    bias, weights = fit(dev)
    fitted = Calibration(current.name, bias, tuple(float(w) for w in weights))
    # Shift the bias so the default threshold is the best one on the development sets.
    best = max(
        (objective([outcomes(data[n], fitted, t) for n in DEVELOPMENT if n in data]), t)
        for t in np.arange(0.05, 0.95, 0.01)
    )
    t = float(best[1])
    shift = math.log(DEFAULT_THRESHOLD / (1 - DEFAULT_THRESHOLD)) - math.log(t / (1 - t))
    fitted = dataclasses.replace(fitted, bias=bias + shift)
    print(f"best threshold before the shift {t:.2f}", file=sys.stderr)
    for label, calibration in (("current", current), ("fitted", fitted)):
        print(f"\n{label}: {calibration}")
        results = []
        for name, questions in data.items():
            r = outcomes(questions, calibration, DEFAULT_THRESHOLD)
            tag = "dev" if name in DEVELOPMENT else "holdout"
            print(
                f"  {name:20} {tag:7} hit@1 {r['hit@1']:.3f}  BA {r['ba']:.3f}  "
                f"wrong {r['wrong']:3d} ({r['wrong_share']:.1%})"
            )
            results.append((tag, r))
        for tag in ("dev", "holdout"):
            chosen = [r for g, r in results if g == tag]
            if chosen:
                mean_ba = np.mean([r["ba"] for r in chosen])
                print(f"  mean BA {tag}: {mean_ba:.4f}, wrong {sum(r['wrong'] for r in chosen)}")
    weights_text = ", ".join(f"{w:.3f}" for w in fitted.weights)
    print(f'\nCalibration("{fitted.name}", {fitted.bias:.3f}, ({weights_text}))')
    print("  " + ", ".join(f"{s}={w:.2f}" for s, w in zip(SIGNALS, fitted.weights, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
