"""Speed and memory figures of the matcher on corpora scaled up to 10,000 and 100,000 entries.

The corpus is the course FAQ when it is available (each entry copied with other entries'
sentences and new rare words mixed in, so the vocabulary grows as a real one would), otherwise
generated text. Queries are entry questions with a word dropped and a typo.
"""

from __future__ import annotations

import gc
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.knowledge import KnowledgeBase
from bot.matching import Matcher
from bot.meaning import MeaningEncoder
from bot.models import Entry

WARM_UP = 200  # questions asked before measuring, as a running bot has seen some

_SYLLABLES = "ka lo mi ne ru ta vo zi pe su ba de fo gu hi ja ko le ma no pi ra se ti vu".split()


@dataclass(frozen=True, slots=True)
class Figures:
    entries: int
    build_seconds: float
    memory_mb: float
    p50_ms: float
    p99_ms: float
    queries: int
    cpu_p50_ms: float = float("nan")  # the thread's CPU time: what a busy machine cannot inflate
    cpu_p99_ms: float = float("nan")


def _pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def generated_entries(count: int, seed: int = 7) -> list[Entry]:
    """Entries of made-up text, for machines without the FAQ corpus."""
    rng = random.Random(seed)
    vocab = [_pseudo_word(rng) for _ in range(5_000)]
    entries = []
    for i in range(count):
        question = " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 12))) + "?"
        answer = " ".join(rng.choice(vocab) for _ in range(rng.randint(40, 120))) + "."
        entries.append(_entry(i, question, answer))
    return entries


def _entry(i: int, question: str, answer: str) -> Entry:
    return Entry(
        id=f"bench/{i}#{i}",
        question=question,
        answer=answer,
        source_title="Benchmark",
        source_url=f"https://example.org/bench/{i}",
        path=f"bench/{i}.md",
        line=1,
    )


def scaled_entries(seed_entries: Sequence[Entry], count: int, seed: int = 7) -> list[Entry]:
    """``count`` entries made from real ones: the originals first, then mixed variants."""
    rng = random.Random(seed)
    out = [replace(e, id=f"{e.id}~0") for e in seed_entries[:count]]
    sentences = [s for e in seed_entries for s in e.answer.split(". ") if s]
    while len(out) < count:
        base = seed_entries[len(out) % len(seed_entries)]
        words = base.question.split()
        words.insert(rng.randrange(len(words) + 1), _pseudo_word(rng))
        answer = ". ".join([base.answer, *rng.sample(sentences, 2), _pseudo_word(rng)])
        out.append(_entry(len(out), " ".join(words), answer))
    return out


def queries_for(entries: Sequence[Entry], count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    queries = []
    for entry in rng.sample(list(entries), min(count, len(entries))):
        words = entry.question.split()
        if len(words) > 3:
            words.pop(rng.randrange(len(words)))
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 4:  # one typo: swap two letters
            j = rng.randrange(1, len(word) - 2)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        queries.append(" ".join(words).lower())
    return queries


def retained_megabytes(knowledge: KnowledgeBase, encoder: MeaningEncoder | None = None) -> float:
    """Memory a matcher keeps for these entries (a second build, traced: tracing is slow).

    The encoder's model counts too (its nbytes): it is loaded once a process, for any knowledge.
    """
    gc.collect()
    tracemalloc.start()
    matcher = Matcher(knowledge, encoder=encoder)
    retained = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del matcher
    shared = encoder.nbytes if encoder is not None else 0
    return (retained + shared) / 1e6


def measure(
    entries: Sequence[Entry],
    queries: Sequence[str],
    *,
    trace_memory: bool = True,
    encoder: MeaningEncoder | None = None,
) -> Figures:
    """Build time, retained memory (traced only when asked: tracing is slow) and latencies.

    With an encoder, the build includes encoding the entries not yet in its disk cache.
    """
    knowledge = KnowledgeBase(tuple(entries))
    gc.collect()
    started = time.perf_counter()
    matcher = Matcher(knowledge, encoder=encoder)
    build = time.perf_counter() - started
    memory = retained_megabytes(knowledge, encoder) if trace_memory else float("nan")
    for query in queries_for(entries, WARM_UP, seed=99):  # other questions: a bot in use
        matcher.ask(query)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        matcher.ask(query)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Figures(len(entries), build, memory, statistics.median(latencies), p99, len(queries))


# --- starts, measured in fresh processes (``bot.start_probe``) --------------------------------

COURSE_METADATA = 'course: bench\ncourse_name: "Benchmark Course"\nsections:\n'
SECTION_SIZE = 500  # FAQ files per section folder


def write_corpus(entries: Sequence[Entry], folder: Path) -> Path:
    """``entries`` as course-FAQ files under ``folder`` (written once: a marker says it is
    complete); the knowledge folder to load."""
    done = folder / ".complete"
    if done.is_file() and done.read_text() == str(len(entries)):
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    course = folder / "_questions" / "bench"
    sections = range((len(entries) + SECTION_SIZE - 1) // SECTION_SIZE)
    course.mkdir(parents=True)
    (course / "_metadata.yaml").write_text(
        COURSE_METADATA + "".join(f'  - id: s{s}\n    name: "Section {s}"\n' for s in sections)
    )
    for s in sections:
        (course / f"s{s}").mkdir()
    for i, entry in enumerate(entries):
        front = f"---\nid: 'e{i}'\nquestion: {json.dumps(entry.question)}\n---\n\n"
        (course / f"s{i // SECTION_SIZE}" / f"{i:06d}.md").write_text(front + entry.answer + "\n")
    done.write_text(str(len(entries)))
    return folder


@dataclass(frozen=True, slots=True)
class Start:
    """A start's figures, as ``bot.start_probe`` prints them."""

    figures: dict[str, float]

    def __getitem__(self, name: str) -> float:
        return float(self.figures.get(name, float("nan")))


def probe_start(
    knowledge: Path | None,
    data_dir: Path,
    question: str,
    *,
    embedding_model: str | None = None,
    wait_sentence: bool = False,
    reload_file: Path | None = None,
    queries: int = 0,
) -> Start:
    """Start the bot in a new process and measure it (``bot.start_probe``); with ``queries``,
    also the latency of that many questions once the matching is final."""
    # Only what is set here: no DATABASE_URL or KNOWLEDGE_DIR of the caller leaks in.
    env = dict.fromkeys(ONE_THREAD, "1")
    env["DATA_DIR"] = str(data_dir)
    if knowledge is not None:
        env["KNOWLEDGE_DIR"] = str(knowledge)
    if embedding_model:
        env["EMBEDDING_MODEL"] = embedding_model
    command = [sys.executable, "-m", "bot.start_probe", "--question", question]
    if wait_sentence:
        command.append("--wait-sentence")
    if reload_file is not None:
        command += ["--reload-file", str(reload_file)]
    if queries:
        command += ["--queries", str(queries)]
    command += ["--spawned", repr(time.time())]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the start probe failed: {done.stderr.strip()[-2000:]}")
    # Only warnings reach stderr there (e.g. an unreadable cache): they explain a figure.
    for line in done.stderr.strip().splitlines()[:5]:
        print(f"  (start: {line.strip()[:300]})", file=sys.stderr)
    return Start(json.loads(done.stdout.strip().splitlines()[-1]))


# The targets are for one core. OpenBLAS otherwise starts a thread per core, and on a busy
# machine they spin: a question's one matrix-vector product took 28 ms instead of 4.
ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def latencies(matcher: Matcher, entries: Sequence[Entry], queries: Sequence[str]) -> Figures:
    """p50 and p99 of ``ask`` on a warm matcher (memory and build time not measured)."""
    for query in queries_for(entries, WARM_UP, seed=99):
        matcher.ask(query)
    times, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        matcher.ask(query)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    cpu.sort()
    at99 = min(len(times) - 1, int(len(times) * 0.99))
    nan = float("nan")
    return Figures(
        len(entries),
        nan,
        nan,
        statistics.median(times),
        times[at99],
        len(queries),
        statistics.median(cpu),
        cpu[at99],
    )
