"""``qabot report``: questions per day, answer rate, latency, gaps and 👎 from the question log."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

from bot.cli.options import knowledge_from
from bot.report import Format, Limits, build_report, parse_since, render
from bot.semantic import open_encoder
from bot.settings import load_core_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="summarise the question log (answer rate, unanswered questions, 👎)",
        description="Summarise the question log. Unanswered questions are grouped by meaning "
        "(EMBEDDING_MODEL) and off-topic ones listed apart. The markdown form is a '## Q&A' "
        "section of drafts for the unanswered questions, ready to paste into a knowledge file.",
    )
    parser.add_argument(
        "--since", default="7d", metavar="SPAN", help="how far back, e.g. 24h, 7d, 4w (default 7d)"
    )
    parser.add_argument(
        "--format", choices=("table", "markdown", "json"), default="table", help="default: table"
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        metavar="N",
        help=f"items per list (default {Limits().groups}); the rest is counted",
    )
    parser.add_argument(
        "--source",
        "--course",
        dest="source",
        metavar="NAME",
        help="only this source, course folder or path (as in CHANNEL_KNOWLEDGE): its entries, "
        "and the questions of the channels CHANNEL_KNOWLEDGE ties to it (all, if none is)",
    )
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    span = parse_since(args.since)
    settings = load_core_settings()
    knowledge = knowledge_from(settings)
    limits = Limits() if args.limit is None else Limits.all(args.limit)
    encoder = open_encoder(settings.embedding_model, settings.embedding_cache_dir)
    from bot.store import Store
    from bot.store.errors import reported_store_errors

    store = Store.connect(settings.database_url, settings.data_dir)
    until = dt.datetime.now(dt.UTC)

    async def collect() -> str:
        try:
            with reported_store_errors():
                await store.upgrade()
                report = await build_report(
                    store,
                    knowledge,
                    until - span,
                    until,
                    limits,
                    args.source,
                    encoder=encoder,
                    channel_knowledge=settings.channel_knowledge,
                    parallel=True,  # this process has the pool to itself
                )
        finally:
            await store.close()
        fmt: Format = args.format
        return render(report, fmt)

    print(asyncio.run(collect()), end="")
    return 0
