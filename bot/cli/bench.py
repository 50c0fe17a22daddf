"""``qabot bench``: matcher speed and memory at 10,000 and 100,000 entries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.benchmark import generated_entries, measure, queries_for, scaled_entries
from bot.errors import UsageError
from bot.knowledge import load_knowledge
from bot.semantic import open_encoder
from bot.settings import bundled_knowledge_dir, load_core_settings

MEMORY_TRACE_LIMIT = 20_000  # tracing 100,000 entries takes minutes; the target is at 10,000
TARGETS = {10_000: (2.0, 2.0, 100.0), 100_000: (20.0, None, None)}  # p99 ms, build s, MB


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure matching speed and memory on scaled-up corpora",
        description="Scales the course-FAQ corpus (or generated text when it is absent) up to "
        "each size, then measures index build time, memory and per-question latency.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", type=Path, metavar="DIR", help="FAQ-style knowledge folder")
    source.add_argument("--generated", action="store_true", help="use generated text only")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated entry counts")
    parser.add_argument("--queries", type=int, default=2000, help="questions per size")
    parser.add_argument(
        "--embedding-model",
        metavar="NAME",
        help="'word-vectors', 'off' for lexical matching only, or a folder holding an ONNX "
        "sentence model; a sentence model's build includes encoding entries not yet in the "
        "cache under DATA_DIR (default: the bundled sentence model)",
    )
    parser.set_defaults(func=run)


def _default_corpus() -> Path | None:
    repo = bundled_knowledge_dir().parent
    relative = "shared/corpus/datatalksclub-faq"
    for candidate in (repo.parent / relative, Path("..") / relative):
        if candidate.is_dir():
            return candidate
    return None


def run(args: argparse.Namespace) -> int:
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"--sizes must be comma-separated numbers, got {args.sizes!r}") from None
    if not sizes or min(sizes) <= 0 or args.queries <= 0:
        raise UsageError("--sizes and --queries must be positive")
    corpus = None if args.generated else args.corpus or _default_corpus()
    if corpus is not None and not corpus.is_dir():
        raise UsageError(f"corpus folder not found: {corpus}")
    seed = list(load_knowledge(corpus).entries) if corpus else None
    settings = load_core_settings()
    encoder = open_encoder(args.embedding_model, settings.embedding_cache_dir)
    print(f"corpus: {corpus if seed else 'generated text (FAQ corpus not found)'}; one core")
    print(f"meaning: {encoder.name if encoder else 'off (lexical only)'}")
    print(f"{'entries':>8} {'build s':>8} {'memory MB':>10} {'p50 ms':>8} {'p99 ms':>8}  target")
    for size in sizes:
        entries = scaled_entries(seed, size) if seed else generated_entries(size)
        p99, build, memory = TARGETS.get(size, (None, None, None))
        queries = queries_for(entries, args.queries)
        trace = size <= MEMORY_TRACE_LIMIT
        figures = measure(entries, queries, trace_memory=trace, encoder=encoder)
        target = ", ".join(
            part
            for part in (
                f"p99 <= {p99} ms" if p99 else "",
                f"build <= {build} s" if build else "",
                f"memory <= {memory} MB" if memory else "",
            )
            if part
        )
        print(
            f"{figures.entries:>8} {figures.build_seconds:>8.2f} {figures.memory_mb:>10.1f} "
            f"{figures.p50_ms:>8.3f} {figures.p99_ms:>8.3f}  {target}"
        )
        sys.stdout.flush()
    return 0
