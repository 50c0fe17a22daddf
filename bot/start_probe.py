"""One bot start, measured: ``python -m bot.start_probe`` (run by ``qabot bench``).

Starts the core as a worker does (settings from the environment, the store, the knowledge,
the matcher cache), answers one question, and prints one JSON line: CPU seconds and wall
seconds from the process start to the first answer, and the peak resident memory. Optionally
it then waits for the sentence model to take over, and measures the longest event-loop stall
while the knowledge is reloaded and questions keep coming.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path

STALL_TICK = 0.002  # the watchdog's sleep: a longer gap is time the loop was blocked
QUESTION_EVERY = 0.02  # seconds between questions during a reload


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _watchdog(stalls: list[float], stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(STALL_TICK)
        now = time.perf_counter()
        stalls.append(now - last - STALL_TICK)
        last = now


async def _measure(args: argparse.Namespace) -> None:
    from bot.benchmark import latencies, queries_for
    from bot.models import Answer, AskContext
    from bot.service import QABot
    from bot.settings import load_core_settings

    bot = await QABot.start(load_core_settings())
    context = AskContext(platform="cli")
    asked = await bot.ask(args.question, context)
    figures: dict[str, float | int | str] = {
        "first_answer_cpu": _cpu(),
        "first_answer_wall": time.time() - args.spawned,
        "first_answer_rss_mb": _peak_mb(),
        "mode": bot.live.current.mode,
        "entries": len(bot.knowledge.entries),
        "answered": int(isinstance(asked.result, Answer)),
    }
    if args.wait_sentence and bot.live.target is not None:
        await bot.live.wait_sharpened()
        figures["sentence_wall"] = time.time() - args.spawned
        figures["sentence_cpu"] = _cpu()
        figures["mode"] = bot.live.current.mode
    if args.queries:
        matcher = bot.live.current.matcher
        entries = bot.knowledge.entries
        figures_ask = latencies(matcher, entries, queries_for(entries, args.queries))
        figures["ask_p50_ms"], figures["ask_p99_ms"] = figures_ask.p50_ms, figures_ask.p99_ms
        figures["ask_cpu_p50_ms"] = figures_ask.cpu_p50_ms
        figures["ask_cpu_p99_ms"] = figures_ask.cpu_p99_ms
    if args.reload_file:
        figures |= await _reload(bot, Path(args.reload_file), args.question)
    await bot.live.settled()  # the matcher built is in the cache for the next start
    figures["peak_rss_mb"] = _peak_mb()
    await bot.close()
    print(json.dumps(figures), flush=True)
    # Now: a sentence model still encoding in a thread would hold up the interpreter's exit.
    os._exit(0)


async def _reload(bot: object, new_file: Path, question: str) -> dict[str, float | int | str]:
    """Add a file, reload, and keep asking meanwhile; the file is removed again after."""
    from bot.models import AskContext
    from bot.service import QABot

    assert isinstance(bot, QABot)
    stalls: list[float] = []
    stop = asyncio.Event()
    watchdog = asyncio.create_task(_watchdog(stalls, stop))
    answered = 0
    longest_ask = 0.0  # with an encoder that does not block, a question is matched on the loop

    async def keep_asking() -> None:
        nonlocal answered, longest_ask
        while not stop.is_set():
            started = time.perf_counter()
            await bot.ask(question, AskContext(platform="cli"))
            longest_ask = max(longest_ask, time.perf_counter() - started)
            answered += 1
            await asyncio.sleep(QUESTION_EVERY)

    asking = asyncio.create_task(keep_asking())
    await asyncio.to_thread(
        new_file.write_text,
        "---\nid: 'bench-reload'\nquestion: 'Is a reload measured by the benchmark?'\n---\n\n"
        "Yes: this entry is added to measure it.\n",
    )
    started = time.perf_counter()
    try:
        await bot.reload("benchmark", fetch=False)
    finally:
        await asyncio.to_thread(new_file.unlink)
    seconds = time.perf_counter() - started
    stop.set()
    await asyncio.gather(watchdog, asking)
    return {
        "reload_wall": seconds,
        "reload_max_stall_ms": max(stalls, default=0.0) * 1000,
        "answered_during_reload": answered,
        "longest_ask_ms": longest_ask * 1000,
        "load_average": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--question", required=True)
    parser.add_argument("--spawned", type=float, required=True, help="time.time() at spawn")
    parser.add_argument("--wait-sentence", action="store_true")
    parser.add_argument("--reload-file", help="a knowledge file to add, then reload")
    parser.add_argument("--queries", type=int, default=0, help="questions to time")
    args = parser.parse_args()
    asyncio.run(_measure(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
