"""Measure the bundled sentence model: CPU time per question, entries a second, memory.

Run it on one core, as the bot would be on a small host:
    taskset -c 1 python scripts/measure_sentence_model.py [--corpus FAQ_FOLDER]
FAQ_FOLDER defaults to ../shared/corpus/datatalksclub-faq. Times are CPU time (the shared
machine's wall time swings), with ONNX Runtime on one thread. Questions come from
tests/eval/*.jsonl; entries from the FAQ corpus, as question plus the first 500 characters of the
answer, keeping those of 100-250 tokens. In the build virtualenv (with PyTorch, see
scripts/build_sentence_model.py) it also prints the agreement with the PyTorch model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def questions(count: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((REPO / "tests" / "eval").rglob("*.jsonl")):
        texts += [json.loads(line)["q"] for line in path.read_text().splitlines() if line.strip()]
    distinct = sorted(set(texts))
    random.Random(0).shuffle(distinct)
    return distinct[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "datatalksclub-faq"
    )
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--entries", type=int, default=300)
    args = parser.parse_args()

    from bot.knowledge import load_knowledge  # numpy and the rest of the bot, before the model

    before_import = rss_mb()
    import onnxruntime  # noqa: F401
    import tokenizers  # noqa: F401

    from bot.sentence_model import SentenceModel

    before_load = rss_mb()
    model = SentenceModel()
    loaded = rss_mb()
    print(f"model: {model.name} ({model.identity}), {model.nbytes / 1e6:.1f} MB on disk")
    print(f"CPU affinity: {sorted(os.sched_getaffinity(0))}")

    asked = questions(args.questions)
    for text in asked[:20]:  # warm up
        model.encode([text])
    times = []
    for text in asked:
        started = time.process_time()
        model.encode([text])
        times.append((time.process_time() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * len(times)))]
    print(
        f"question encode over {len(times)} questions (CPU ms): "
        f"p50 {statistics.median(times):.2f}, p99 {p99:.2f}, max {times[-1]:.2f}"
    )

    if args.corpus.is_dir():
        entries = load_knowledge(args.corpus).entries
        texts = [f"{e.question}. {e.answer[:500]}" for e in entries]
        sized = [t for t in texts if 100 <= model.token_count(t) <= 250]
        sample = random.Random(0).sample(sized, min(args.entries, len(sized)))
        started, wall = time.process_time(), time.perf_counter()
        model.encode_documents(sample)
        cpu, wall = time.process_time() - started, time.perf_counter() - wall
        tokens = statistics.mean(model.token_count(t) for t in sample)
        print(
            f"entries of 100-250 tokens (mean {tokens:.0f}): {len(sample) / cpu:.1f}/s CPU "
            f"({len(sample) / wall:.1f}/s wall), {len(sample)} of {len(sized)} such entries"
        )
    else:
        print(f"entries: corpus not found at {args.corpus}")
    after = rss_mb()
    print(
        f"resident memory: onnxruntime and tokenizers imported +{before_load - before_import:.0f} "
        f"MB, model loaded +{loaded - before_load:.0f} MB, after encoding "
        f"+{after - before_load:.0f} MB (total +{after - before_import:.0f} MB)"
    )

    try:
        sys.path.insert(0, str(REPO / "scripts"))
        from build_sentence_model import agreement

        agreement(model)
    except ImportError as exc:
        print(f"agreement with PyTorch: not measured ({exc}; run in the build virtualenv)")


if __name__ == "__main__":
    main()
