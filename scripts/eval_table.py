"""Every evaluation set in one table: ``python scripts/eval_table.py [--embedding-model M]``.

Loads each knowledge folder once and prints hit@1, hit@3, MRR, balanced accuracy and wrong
answers per set, then the means. The corpus sets need ../shared/corpus next to the checkout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bot.evaluation import evaluate, read_cases
from bot.knowledge import SourceSpec, bundled_sources, load_knowledge
from bot.matching import Matcher
from bot.semantic import open_encoder
from bot.settings import load_core_settings

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "tests" / "eval"
CORPUS = REPO.parent / "shared" / "corpus"
FAQ = CORPUS / "datatalksclub-faq"
KNOWLEDGE: dict[str, Path | tuple[SourceSpec, ...]] = {
    "bundled": bundled_sources(),
    "webinars": CORPUS / "webinars",
    "faq": FAQ,
    "faq-de": FAQ / "_questions" / "data-engineering-zoomcamp",
    "faq-ml": FAQ / "_questions" / "machine-learning-zoomcamp",
}
SETS = [
    ("questions", "bundled"),
    ("webinars", "webinars"),
    ("faq", "faq"),
    ("slack-de", "faq-de"),
    ("generic", "faq"),
    ("holdout/bundled", "bundled"),
    ("holdout/bundled-2", "bundled"),
    ("holdout/bundled-3", "bundled"),
    ("holdout/bundled-4", "bundled"),
    ("holdout/webinars", "webinars"),
    ("holdout/webinars-2", "webinars"),
    ("holdout/webinars-3", "webinars"),
    ("holdout/faq", "faq"),
    ("holdout/slack-ml", "faq-ml"),
]


def available(knowledge: Path | tuple[SourceSpec, ...]) -> bool:
    return not isinstance(knowledge, Path) or knowledge.is_dir()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedding-model", default=None)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--only", default="", help="comma-separated set names")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="a table for docs/matching.md")
    args = parser.parse_args()
    settings = load_core_settings()
    encoder = open_encoder(args.embedding_model, settings.embedding_cache_dir)
    threshold = settings.threshold if args.threshold is None else args.threshold
    only = {s for s in args.only.split(",") if s}
    matchers: dict[str, Matcher] = {}
    rows = []
    for name, folder in SETS:
        path = EVAL / f"{name}.jsonl"
        if (only and name not in only) or not path.is_file() or not available(KNOWLEDGE[folder]):
            continue
        if folder not in matchers:
            started = time.process_time()
            matchers[folder] = Matcher(load_knowledge(KNOWLEDGE[folder]), threshold, encoder)
            print(f"# {folder}: built in {time.process_time() - started:.1f} s", file=sys.stderr)
        report = evaluate(matchers[folder], read_cases(path)).as_dict()
        rows.append((name, report))
    if args.json:
        print(json.dumps(dict(rows)))
        return 0
    if args.markdown:
        head = "| set | n | hit@1 | hit@3 | MRR | answered right | refused | balanced accuracy |"
        print(head + " wrong |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rows:
            print(
                f"| `{name}` | {r['in_scope'] + r['out_of_scope']} | {r['hit@1']:.3f} | "
                f"{r['hit@3']:.3f} | {r['mrr']:.3f} | {r['answered_correctly']:.3f} | "
                f"{r['refused_out_of_scope']:.3f} | {r['balanced_accuracy']:.3f} | "
                f"{r['wrong_answers']} |"
            )
        return 0
    meaning = encoder.name if encoder else "lexical only"
    print(f"matching: {meaning}, threshold {threshold}")
    head = f"{'set':20} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'hit@5':>6} {'MRR':>6} {'right':>6}"
    print(head + f" {'BA':>6} {'wrong':>5}")
    for name, r in rows:
        print(
            f"{name:20} {r['in_scope'] + r['out_of_scope']:>4} {r['hit@1']:>6.3f} "
            f"{r['hit@3']:>6.3f} {r.get('hit@5', float('nan')):>6.3f} {r['mrr']:>6.3f} "
            f"{r['answered_correctly']:>6.3f} {r['balanced_accuracy']:>6.3f} "
            f"{r['wrong_answers']:>5}"
        )
    if rows:
        mean_ba = sum(r["balanced_accuracy"] for _, r in rows) / len(rows)
        wrong = sum(r["wrong_answers"] for _, r in rows)
        print(f"{'mean BA':20} {mean_ba:.4f}   wrong answers {wrong}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
