"""``qabot bench``: start-up, reload and matching speed and memory at 10,000 entries (and
100,000 with ``--large``), each figure against its target."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bot.benchmark import (
    Start,
    generated_entries,
    probe_start,
    scaled_entries,
    write_corpus,
)
from bot.errors import UsageError
from bot.knowledge import load_knowledge
from bot.matcher_cache import MatcherCache
from bot.models import Entry
from bot.semantic import open_encoder
from bot.settings import DEFAULT_THRESHOLD, bundled_knowledge_dir, load_core_settings

WARM_RUNS = 3  # warm starts measured; the median is shown
LARGE = 100_000


# Per size: cold wall s, warm CPU s over the bundled start (None: warm wall s instead), peak
# MB at the first answer, p99 ms per matching mode, sentence takeover s, reload stall ms.
TARGETS: dict[int, dict[str, float]] = {
    10_000: {
        "cold_wall": 2.0,
        "warm_extra_cpu": 0.5,
        "rss": 250.0,
        "p99:word-vectors": 2.0,
        "p99:sentence": 10.0,
        "sentence_wall": 2.0,
        "stall_ms": 50.0,
    },
    LARGE: {"cold_wall": 20.0, "rss": 600.0, "warm_wall": 3.0, "p99:sentence": 25.0},
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure start-up, reload and matching speed and memory on a scaled corpus",
        description="Scales the course-FAQ corpus (or generated text when it is absent) to "
        "10,000 entries (and 100,000 with --large), writes it as FAQ files under "
        "DATA_DIR/bench, and measures cold and warm starts to the first answer in fresh "
        "processes, the sentence model's takeover, the event loop during a reload, and the "
        "latency of a question per matching mode. Figures are marked against their targets.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", type=Path, metavar="DIR", help="FAQ-style knowledge folder")
    source.add_argument("--generated", action="store_true", help="use generated text only")
    parser.add_argument("--large", action="store_true", help="also measure 100,000 entries")
    parser.add_argument("--sizes", help="comma-separated entry counts (instead of --large)")
    parser.add_argument("--queries", type=int, default=2000, help="questions per mode")
    parser.add_argument(
        "--runs", type=int, default=WARM_RUNS, help="warm starts measured (the median shown)"
    )
    parser.add_argument(
        "--encode",
        action="store_true",
        help="encode the entries with the sentence model when they are not cached yet (about "
        "25 entries a second on one core), to measure the sentence model; without it, the "
        "sentence figures are measured only once a cache exists",
    )
    parser.set_defaults(func=run)


def _default_corpus() -> Path | None:
    repo = bundled_knowledge_dir().parent
    relative = "shared/corpus/datatalksclub-faq"
    for candidate in (repo.parent / relative, Path("..") / relative):
        if candidate.is_dir():
            return candidate
    return None


def _mark(value: float, target: float | None, unit: str) -> str:
    if target is None:
        return ""
    return f"{'ok ' if value <= target else 'MISSED'} (target <= {target:g} {unit})"


def run(args: argparse.Namespace) -> int:
    try:
        sizes = [int(s) for s in (args.sizes or "").split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"--sizes must be comma-separated numbers, got {args.sizes!r}") from None
    sizes = sizes or [10_000, *([LARGE] if args.large else [])]
    if min(sizes) <= 0 or args.queries <= 0 or args.runs <= 0:
        raise UsageError("--sizes and --queries must be positive")
    corpus = None if args.generated else args.corpus or _default_corpus()
    if corpus is not None and not corpus.is_dir():
        raise UsageError(f"corpus folder not found: {corpus}")
    seed = list(load_knowledge(corpus).entries) if corpus else None
    settings = load_core_settings()
    print(f"corpus: {corpus if seed else 'generated text (FAQ corpus not found)'}")
    question = (seed[0] if seed else generated_entries(1)[0]).question
    bundled = _starts(None, settings.data_dir / "bench" / "bundled", question, runs=args.runs)
    print(
        f"bundled knowledge alone, warm start: {bundled['first_answer_cpu']:.2f} s CPU, "
        f"{bundled['first_answer_wall']:.2f} s wall to the first answer, "
        f"{bundled['peak_rss_mb']:.0f} MB peak"
    )
    for size in sizes:
        entries = scaled_entries(seed, size) if seed else generated_entries(size)
        _bench_size(args, size, entries, settings.data_dir / "bench" / str(size), bundled)
    return 0


def _starts(
    knowledge: Path | None,
    data_dir: Path,
    question: str,
    *,
    runs: int,
    wait_sentence: bool = False,
) -> Start:
    """The median of ``runs`` warm starts, after one that fills the caches if needed."""
    data_dir.mkdir(parents=True, exist_ok=True)
    probe_start(knowledge, data_dir, question)  # not measured: fills what a cache lacks
    starts = [
        probe_start(knowledge, data_dir, question, wait_sentence=wait_sentence) for _ in range(runs)
    ]
    names = set().union(*(s.figures for s in starts)) - {"mode"}
    return Start({n: statistics.median(s[n] for s in starts) for n in names})


def _bench_size(
    args: argparse.Namespace, size: int, entries: list[Entry], root: Path, bundled: Start
) -> None:
    target = TARGETS.get(size, {})
    print(f"\n== {size} entries (files under {root / 'knowledge'}; one process per start)")
    sys.stdout.flush()
    corpus = write_corpus(entries, root / "knowledge")
    question = entries[len(entries) // 2].question
    cold_dir = Path(tempfile.mkdtemp(prefix="qabot-bench-cold-"))
    try:
        cold = probe_start(corpus, cold_dir, question)
    finally:
        shutil.rmtree(cold_dir, ignore_errors=True)
    print(
        f"cold start (no cache):  {cold['first_answer_cpu']:6.2f} s CPU "
        f"{cold['first_answer_wall']:6.2f} s wall  {cold['first_answer_rss_mb']:5.0f} MB at the "
        f"first answer, {cold['peak_rss_mb']:.0f} MB peak  "
        f"{_mark(cold['first_answer_wall'], target.get('cold_wall'), 's wall')} "
        f"{_mark(cold['peak_rss_mb'], target.get('rss'), 'MB')}"
    )
    sys.stdout.flush()
    data_dir = root / "data"
    knowledge = load_knowledge(corpus, data_dir=data_dir)
    sentence = open_encoder(None, data_dir / "embeddings")
    have_sentence = MatcherCache(data_dir / "matcher").load(knowledge, DEFAULT_THRESHOLD, sentence)
    if have_sentence is None and args.encode:
        print(f"encoding {size} entries with {sentence.name if sentence else '?'} once ...")
        sys.stdout.flush()
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(data_dir / "matcher")  # the word-vector matcher is cached again
        probe_start(corpus, data_dir, question, wait_sentence=True)
        have_sentence = MatcherCache(data_dir / "matcher").load(
            knowledge, DEFAULT_THRESHOLD, sentence
        )
    sentence_cached = have_sentence is not None
    del have_sentence
    warm = _starts(corpus, data_dir, question, runs=args.runs, wait_sentence=sentence_cached)
    extra = warm["first_answer_cpu"] - bundled["first_answer_cpu"]
    print(
        f"warm start (median of {args.runs}): {warm['first_answer_cpu']:6.2f} s CPU "
        f"{warm['first_answer_wall']:6.2f} s wall  {warm['first_answer_rss_mb']:5.0f} MB at "
        f"the first answer, {warm['peak_rss_mb']:.0f} MB peak  "
        f"{_mark(warm['first_answer_wall'], target.get('warm_wall'), 's wall')}"
        f"{_mark(warm['peak_rss_mb'], target.get('rss'), 'MB')}"
    )
    print(
        f"  CPU over the bundled knowledge alone: +{extra:.2f} s "
        f"{_mark(extra, target.get('warm_extra_cpu'), 's')}"
    )
    if warm["sentence_wall"] == warm["sentence_wall"]:  # not nan: a sentence model took over
        print(
            f"  sentence matching on {warm['sentence_wall']:.2f} s after the start "
            f"{_mark(warm['sentence_wall'], target.get('sentence_wall'), 's')}"
        )
    # Without the sentence vectors cached, the sentence model would be encoding meanwhile.
    reload = probe_start(
        corpus,
        data_dir,
        question,
        embedding_model=None if sentence_cached else "word-vectors",
        reload_file=corpus / "_questions" / "bench" / "s0" / "reload.md",
    )
    print(
        f"reload (one file added): {reload['reload_wall']:.2f} s, longest event-loop stall "
        f"{reload['reload_max_stall_ms']:.0f} ms "
        f"{_mark(reload['reload_max_stall_ms'], target.get('stall_ms'), 'ms')}, "
        f"{reload['answered_during_reload']:.0f} questions answered meanwhile (the longest "
        f"took {reload['longest_ask_ms']:.0f} ms; load average {reload['load_average']:.1f})"
    )
    sys.stdout.flush()
    print(f"{'ask, warm, one thread':24} {'p50 ms':>8} {'p99 ms':>8} {'CPU p50':>8} {'CPU p99':>8}")
    for model in ("off", "word-vectors", None):
        encoder = open_encoder(model, data_dir / "embeddings")
        name = encoder.name if encoder is not None else "lexical"
        if model is None and not sentence_cached:
            print(f"{name:24} not measured: the entries are not encoded yet (run with --encode)")
            continue
        asked = probe_start(
            corpus,
            data_dir,
            question,
            embedding_model=model,
            wait_sentence=model is None,
            queries=args.queries,
        )
        key = "p99:sentence" if model is None else f"p99:{model}"
        print(
            f"{name:24} {asked['ask_p50_ms']:8.2f} {asked['ask_p99_ms']:8.2f} "
            f"{asked['ask_cpu_p50_ms']:8.2f} {asked['ask_cpu_p99_ms']:8.2f}  "
            f"{_mark(asked['ask_p99_ms'], target.get(key), 'ms')}"
        )
        sys.stdout.flush()
