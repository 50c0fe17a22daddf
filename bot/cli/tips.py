"""``qabot tips preview`` and ``qabot tips post --platform slack|discord`` (Web API only)."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from bot.errors import BotError, ConfigError, UsageError
from bot.settings import (
    CoreSettings,
    TipChannel,
    load_core_settings,
    load_discord_settings,
    load_slack_settings,
)

if TYPE_CHECKING:  # the store and its drivers load only when a tip command runs
    from bot.tips import TipPoster, TipPreview

POSTER_GROUP = "qabot.tip_posters"
PLATFORMS = ("slack", "discord")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "tips",
        help="weekly tips: preview the next ones or post those that are due",
        description="Weekly tips for the channels in SLACK_TIP_CHANNELS / DISCORD_TIP_CHANNELS.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    preview = actions.add_parser("preview", help="show the next tip of each configured channel")
    preview.add_argument("--channel", metavar="ID", help="only this channel")
    preview.set_defaults(func=run_preview)
    post = actions.add_parser(
        "post",
        help="post the tips that are due now, exactly once per channel and week",
        description="Post this week's tip to each channel whose slot has passed and that has "
        "no tip this week yet. Safe to run from several processes; exits 0 when there is "
        "nothing to do.",
    )
    post.add_argument("--platform", choices=PLATFORMS, required=True)
    post.set_defaults(func=run_post)


def run_preview(args: argparse.Namespace) -> int:
    core = load_core_settings()
    channels, notes = configured_channels(os.environ)
    if args.channel is not None:
        channels = {p: [c for c in cs if c.channel == args.channel] for p, cs in channels.items()}
        if not any(channels.values()):
            raise UsageError(
                f"channel {args.channel!r} is not in SLACK_TIP_CHANNELS or DISCORD_TIP_CHANNELS"
            )
    for note in notes:
        print(note)
    if not any(channels.values()):
        print("no tip channels configured (set SLACK_TIP_CHANNELS or DISCORD_TIP_CHANNELS)")
        return 0
    for platform, previews in asyncio.run(preview_tips(core, channels)).items():
        for item in previews:
            print(format_preview(platform, item))
    return 0


def run_post(args: argparse.Namespace) -> int:
    poster = open_poster(args.platform, os.environ)
    core = load_core_settings()
    posted, failed = asyncio.run(post_due_tips(core, poster))
    for line in posted:
        print(line)
    if failed:
        raise BotError(f"could not post the tip to {', '.join(failed)}; see the log for details")
    if not posted:
        print("no tips due (not yet time, or already posted this week)")
    return 0


def configured_channels(
    environ: Mapping[str, str],
) -> tuple[dict[str, list[TipChannel]], list[str]]:
    """Tip channels per platform whose settings load, and a note for each that does not."""
    channels: dict[str, list[TipChannel]] = {}
    notes = []
    for platform in PLATFORMS:
        try:
            if platform == "slack":
                channels[platform] = list(load_slack_settings(environ, mode="api")[1].tip_channels)
            else:
                channels[platform] = list(load_discord_settings(environ)[1].tip_channels)
        except ConfigError as exc:
            if environ.get(f"{platform.upper()}_TIP_CHANNELS", "").strip():
                notes.append(f"{platform}: skipped, {exc}")
    return channels, notes


async def preview_tips(
    core: CoreSettings, channels: Mapping[str, Sequence[TipChannel]]
) -> dict[str, list[TipPreview]]:
    from bot.service import QABot
    from bot.store.errors import reported_store_errors

    bot = await QABot.start(core)
    try:
        with reported_store_errors():
            return {
                platform: await bot.tip_scheduler(platform, chosen).preview()
                for platform, chosen in channels.items()
                if chosen
            }
    finally:
        await bot.close()


async def post_due_tips(core: CoreSettings, poster: TipPoster) -> tuple[list[str], list[str]]:
    """Post what is due through ``poster``; return (lines about posted tips, failed channels)."""
    from bot.service import QABot
    from bot.store.errors import reported_store_errors

    bot = await QABot.start(core)
    try:
        with reported_store_errors():
            scheduler = bot.tip_scheduler(poster.platform, poster.channels)
            tips = await scheduler.run_due(poster.post)
        lines = [
            f"posted {t.week} tip to {t.platform} {t.channel}: {t.entry.question}" for t in tips
        ]
        return lines, scheduler.failed
    finally:
        await bot.close()
        await poster.aclose()


def open_poster(platform: str, environ: Mapping[str, str]) -> TipPoster:
    """Load the platform's poster from the ``qabot.tip_posters`` entry points."""
    points = {p.name: p for p in entry_points(group=POSTER_GROUP)}
    if platform not in points:
        raise UsageError(f"no tip poster for {platform!r} is installed (found: {sorted(points)})")
    try:
        factory = points[platform].load()
    except ImportError as exc:
        raise UsageError(f"the {platform} tip poster cannot be loaded: {exc}") from None
    poster: TipPoster = factory(environ)
    return poster


def format_preview(platform: str, item: TipPreview) -> str:
    when = f"{item.due:%a %Y-%m-%d %H:%M %Z}"
    state = "due now" if item.overdue else f"next at {when}"
    tip = f"{item.entry.question}  [{item.entry.id}]" if item.entry else "(no entries)"
    return f"{platform} {item.channel} {item.week} ({state}): {tip}"
