"""``qabot digest preview``: the weekly host digest as it reads now (posts nothing)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.settings import CoreSettings, load_core_settings

if TYPE_CHECKING:  # the store and its drivers load only when the command runs
    from bot.digest import Digest


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "digest",
        help="the weekly host digest: preview what the host channels will get",
        description="The weekly digest for the host: questions asked, the answer rate and its "
        "trend, the top unanswered questions with ready-to-paste drafts, the most 👎 answers "
        "and the alias proposals waiting. Workers post it to each platform's host digest "
        "channel at DIGEST_SCHEDULE (docs/feedback-loop.md).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    preview = actions.add_parser(
        "preview",
        help="print the digest for the last 7 days, as markdown",
        description="Print the digest for the 7 days up to now, read from DATABASE_URL. Needs "
        "no platform token; posts and claims nothing.",
    )
    preview.set_defaults(func=run_preview)


def run_preview(args: argparse.Namespace) -> int:
    from bot.digest import as_text

    print(as_text(asyncio.run(preview_digest(load_core_settings()))))
    return 0


async def preview_digest(core: CoreSettings) -> Digest:
    from bot.digest_schedule import digest_scheduler
    from bot.service import QABot
    from bot.store.errors import reported_store_errors

    bot = await QABot.start(core)
    try:
        with reported_store_errors():
            return await digest_scheduler(bot, "preview", ()).preview()
    finally:
        await bot.close()
