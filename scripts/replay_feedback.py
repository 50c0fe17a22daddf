"""Does learning from corrections improve matching? Replay, accept, measure a held-out half.

``python scripts/replay_feedback.py [--only SETS] [--any-entry] [--embedding-model M]``

For each evaluation set (as in ``scripts/eval_table.py``), its in-scope rows are split into two
halves, deterministically (by a hash of the wording). The first half is replayed as members
who ask, get a miss or a wrong answer, and pick the right entry: through ``QABot.pick``, the
code path the chat buttons use, into a throwaway SQLite store, where the picks propose
aliases. Every proposal is accepted (as ``qabot learn accept`` does), the accepted aliases are
joined to the knowledge (as a worker's reload does), and hit@1 and balanced accuracy are
measured on the second half, with every out-of-scope row, before and after.

By default a member picks only what the bot offered (the suggestions of a miss, the runners-up
of a wrong answer); ``--any-entry`` lets them find the right entry however they like.

``--pooled`` splits the rows of all the sets of one knowledge together. The sets were written
apart, so the same question recurs across them in other words ("FE -> AI eng path?", "FE -> AI
engineer roadmap?"), as it does among members; no wording is in both halves.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_table import EVAL, KNOWLEDGE, SETS, available

from bot.evaluation import Case, Report, evaluate, read_cases
from bot.knowledge import KnowledgeBase, SourceSpec, load_knowledge
from bot.knowledge.sources import folder_spec
from bot.learning import AcceptedAliases
from bot.matching import Matcher
from bot.metrics import Metrics
from bot.models import Answer, AskContext
from bot.semantic import open_encoder
from bot.service import QABot
from bot.settings import load_core_settings
from bot.store.alias_store import AliasStore


def halves(cases: Sequence[Case]) -> tuple[list[Case], list[Case]]:
    """(replayed, held out): in-scope rows split by a hash of their wording; out-of-scope
    rows are all held out (nobody picks an entry for them)."""
    in_scope = sorted(
        (c for c in cases if c.expected),
        key=lambda c: hashlib.blake2b(c.question.encode(), digest_size=8).digest(),
    )
    middle = len(in_scope) // 2
    held_out = in_scope[middle:] + [c for c in cases if not c.expected]
    return in_scope[:middle], held_out


def _distinct(cases: Sequence[Case]) -> list[Case]:
    """One case per wording (pooled sets may share one)."""
    seen: dict[str, Case] = {}
    for case in cases:
        seen.setdefault(case.question, case)
    return list(seen.values())


def pick_for(matcher: Matcher, case: Case, any_entry: bool) -> tuple[str, str] | None:
    """(entry, "suggestion" | "correction") a member who asked ``case`` picks; None if the
    bot was right or did not offer the right entry."""
    result = matcher.ask(case.question)
    if isinstance(result, Answer):
        if result.entry.id in case.expected:
            return None
        offered, via = [c.entry.id for c in result.runners_up], "correction"
    else:
        offered, via = [c.entry.id for c in result.suggestions], "suggestion"
    for entry_id in case.expected:
        if any_entry or entry_id in offered:
            return entry_id, via
    return None


async def replay(
    sources: tuple[SourceSpec, ...],
    knowledge: KnowledgeBase,
    picks: Sequence[tuple[Case, str, str]],
    data_dir: Path,
) -> KnowledgeBase:
    """Record the picks through QABot, accept every proposal; the knowledge with the aliases."""
    settings = dataclasses.replace(
        load_core_settings({"DATA_DIR": str(data_dir), "EMBEDDING_MODEL": "off"}),
        knowledge_sources=sources,
    )
    bot = await QABot.start(settings, metrics=Metrics())
    try:
        for number, (case, entry_id, via) in enumerate(picks):
            member = AskContext("replay", "T1", "C1", f"member-{number}")
            await bot.pick(entry_id, member, via=via, question=case.question)  # type: ignore[arg-type]
        assert await bot.flush(30.0), "the picks were not written"
        aliases = AliasStore(bot.store.engine)
        for proposal in await aliases.proposals():
            await aliases.decide(proposal.id, "accepted", bot.clock())
        return await AcceptedAliases(bot.store).apply(knowledge)
    finally:
        await bot.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedding-model", default=None)
    parser.add_argument("--only", default="", help="comma-separated set names")
    parser.add_argument("--any-entry", action="store_true", help="pick beyond what was offered")
    parser.add_argument("--pooled", action="store_true", help="split all sets of a knowledge")
    args = parser.parse_args()
    settings = load_core_settings()
    encoder = open_encoder(args.embedding_model, settings.embedding_cache_dir)
    threshold = settings.threshold
    only = {s for s in args.only.split(",") if s}
    loaded: dict[str, tuple[tuple[SourceSpec, ...], KnowledgeBase, Matcher]] = {}
    rows: list[tuple[str, int, int, int, Report, Report]] = []
    groups: dict[str, tuple[str, list[Case]]] = {}
    for name, folder in SETS:
        path = EVAL / f"{name}.jsonl"
        if (only and name not in only) or not path.is_file() or not available(KNOWLEDGE[folder]):
            continue
        label = f"{folder} (pooled)" if args.pooled else name
        groups.setdefault(label, (folder, []))[1].extend(read_cases(path))
    for name, (folder, cases) in groups.items():
        if folder not in loaded:
            location = KNOWLEDGE[folder]
            specs = (folder_spec(location),) if isinstance(location, Path) else location
            knowledge = load_knowledge(specs)
            loaded[folder] = (specs, knowledge, Matcher(knowledge, threshold, encoder))
        specs, knowledge, before = loaded[folder]
        replayed, held_out = halves(_distinct(cases))
        picks = [
            (case, *found)
            for case in replayed
            if (found := pick_for(before, case, args.any_entry)) is not None
        ]
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            learnt = asyncio.run(replay(specs, knowledge, picks, Path(tmp)))
        after = Matcher(learnt, threshold, encoder)
        aliased = sum(
            len(a.aliases) - len(b.aliases)
            for a, b in zip(learnt.entries, knowledge.entries, strict=True)
        )
        rows.append(
            (
                name,
                len(replayed),
                len(picks),
                aliased,
                evaluate(before, held_out),
                evaluate(after, held_out),
            )
        )
        print(f"# {name}: replayed in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    meaning = encoder.name if encoder else "lexical only"
    picked = "any entry" if args.any_entry else "what the bot offered"
    print(f"matching: {meaning}, threshold {threshold}; members pick {picked}")
    print(
        "| set | replayed | picks | aliases | held out | hit@1 | answered right "
        "| balanced accuracy | wrong answers |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, n, p, a, b, f in rows:
        print(
            f"| `{name}` | {n} | {p} | {a} | {b.in_scope}+{b.out_of_scope} | "
            f"{b.hit_at_1:.3f} → {f.hit_at_1:.3f} | "
            f"{b.answered_correctly:.3f} → {f.answered_correctly:.3f} | "
            f"{b.balanced_accuracy:.3f} → {f.balanced_accuracy:.3f} | "
            f"{b.wrong_answers} → {f.wrong_answers} |"
        )
    if len(rows) > 1:
        n_sets = len(rows)

        def mean(metric: str, which: int) -> float:
            return sum(float(getattr(r[which], metric)) for r in rows) / n_sets

        figures = " | ".join(
            f"{mean(m, 4):.3f} → {mean(m, 5):.3f}"
            for m in ("hit_at_1", "answered_correctly", "balanced_accuracy")
        )
        wrong = f"{sum(r[4].wrong_answers for r in rows)} → {sum(r[5].wrong_answers for r in rows)}"
        picks, aliases = sum(r[2] for r in rows), sum(r[3] for r in rows)
        print(f"| **mean** | | {picks} | {aliases} | | {figures} | {wrong} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
