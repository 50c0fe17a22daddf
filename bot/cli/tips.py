"""``qabot tips preview`` and ``qabot tips post --platform NAME`` (the platform's Web API only)."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from bot import platforms
from bot.config import SettingsReader
from bot.errors import BotError, UsageError
from bot.settings import CoreSettings, TipChannel, load_core_settings, load_settings, read_core

if TYPE_CHECKING:  # the store and its drivers load only when a tip command runs
    from bot.replies import Reply
    from bot.tips import TipPoster, TipPreview


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "tips",
        help="weekly tips: preview the next ones or post those that are due",
        description="Weekly tips for the tip channels each platform's settings name.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    preview = actions.add_parser(
        "preview",
        help="show the next tip of each configured channel, as it will be posted",
        description="The next weekly tip of each tip channel, as the message its platform will "
        "get, drawn from the channel's part of the knowledge (CHANNEL_KNOWLEDGE). Needs no "
        "platform token; posts nothing.",
    )
    preview.add_argument("--channel", metavar="ID", help="only this channel")
    preview.set_defaults(func=run_preview)
    post = actions.add_parser(
        "post",
        help="post the tips that are due now, exactly once per channel and week",
        description="Post this week's tip to each channel whose slot has passed and that has "
        "no tip this week yet. Safe to run from several processes; exits 0 when there is "
        "nothing to do.",
    )
    post.add_argument("--platform", choices=platforms.installed(), required=True)
    post.set_defaults(func=run_post)


def run_preview(args: argparse.Namespace) -> int:
    core = load_core_settings()
    channels, notes = configured_channels(os.environ)
    if args.channel is not None:
        channels = {p: [c for c in cs if c.channel == args.channel] for p, cs in channels.items()}
        if not any(channels.values()):
            raise UsageError(f"channel {args.channel!r} is not a configured tip channel")
    for note in notes:
        print(note)
    if not any(channels.values()):
        print("no tip channels configured (see docs/configuration.md)")
        return 0
    from bot.replies import as_text

    shown = {p.name: p.preview or as_text for p in platforms.load_all()}
    for platform, previews in asyncio.run(preview_tips(core, channels, shown)).items():
        for item, message in previews:
            print(format_preview(platform, item, message))
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
    """Tip channels per platform, and a note for each platform whose channels are invalid."""
    channels: dict[str, list[TipChannel]] = {}
    notes = []
    for platform in platforms.load_all():
        reader = SettingsReader(environ)
        found = platform.tip_channels(reader, read_core(reader))
        if reader.problems:
            notes.append(f"{platform.name}: skipped, {'; '.join(reader.problems)}")
        else:
            channels[platform.name] = list(found)
    return channels, notes


async def preview_tips(
    core: CoreSettings,
    channels: Mapping[str, Sequence[TipChannel]],
    shown: Mapping[str, Callable[[Reply], str]] | None = None,
) -> dict[str, list[tuple[TipPreview, str]]]:
    """The next tip of each channel, and the message its platform will get (``shown``: each
    platform's preview; the core's plain rendering by default)."""
    from bot import replies
    from bot.service import QABot
    from bot.store.errors import reported_store_errors

    bot = await QABot.start(core)
    try:
        with reported_store_errors():
            found: dict[str, list[tuple[TipPreview, str]]] = {}
            for platform, chosen in channels.items():
                if not chosen:
                    continue
                show = (shown or {}).get(platform, replies.as_text)
                found[platform] = [
                    (item, show(replies.tip(item.entry, weekly=True)) if item.entry else "")
                    for item in await bot.tip_scheduler(platform, chosen).preview()
                ]
            return found
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
            tips = await scheduler.run_due(poster.post, getattr(poster, "find", None))
        lines = [
            f"posted {t.week} tip to {t.platform} {t.channel}: {t.entry.question}" for t in tips
        ]
        return lines, scheduler.failed
    finally:
        await bot.close()
        await poster.aclose()


def open_poster(name: str, environ: Mapping[str, str]) -> TipPoster:
    """The named platform's Web API poster; ConfigError lists every settings problem."""
    platform = platforms.load(name)
    _, settings = load_settings(platform.settings, environ)
    poster: TipPoster = platform.tip_poster(settings)
    return poster


def format_preview(platform: str, item: TipPreview, message: str = "") -> str:
    """One line about the tip, then the message as posted, indented."""
    when = f"{item.due:%a %Y-%m-%d %H:%M %Z}"
    state = "due now" if item.overdue else f"next at {when}"
    tip = f"{item.entry.question}  [{item.entry.id}]" if item.entry else "(no entries)"
    lines = [f"{platform} {item.channel} {item.week} ({state}): {tip}"]
    lines += [f"    {line}".rstrip() for line in message.splitlines()]
    return "\n".join(lines)
