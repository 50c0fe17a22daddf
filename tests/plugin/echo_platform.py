"""A platform that exists only in the tests, to show the contract: a new platform touches its
own package, its entry point and a docs page, never bot/.

It registers through ``qabot.platforms`` (``tests/core/test_platform_contract.py`` installs a
small dist-info for it), reads ECHO_* settings, posts tips to a file, and its worker answers
questions read from stdin with the core's replies on stdout, ending at end of input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import replies, runtime
from bot.config import SettingsReader
from bot.models import AskContext, Tip
from bot.platforms import Platform
from bot.service import QABot
from bot.settings import CoreSettings, TipChannel, load_settings, read_tip_channels

NAME = "echo"


@dataclass(frozen=True, slots=True)
class EchoSettings:
    outbox: Path  # where tips are "posted", one JSON object a line
    tip_channels: tuple[TipChannel, ...]


def tip_channels(reader: SettingsReader, core: CoreSettings) -> tuple[TipChannel, ...]:
    return read_tip_channels(reader, "ECHO_TIP_CHANNELS", core)


def read_settings(reader: SettingsReader, core: CoreSettings) -> EchoSettings:
    outbox = reader.required("ECHO_OUTBOX", "a file the echo platform appends its posts to")
    return EchoSettings(Path(outbox), tip_channels(reader, core))


class EchoPoster:
    platform = NAME

    def __init__(self, settings: EchoSettings) -> None:
        self.settings = settings
        self.channels = settings.tip_channels

    async def post(self, tip: Tip) -> str:
        with self.settings.outbox.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"channel": tip.channel, "entry": tip.entry.id}) + "\n")
        return f"{tip.channel}:{tip.week}"

    async def aclose(self) -> None:
        pass


class EchoConnection:
    """Questions from stdin, one a line; the reply's text on stdout."""

    name = NAME

    def __init__(self, settings: EchoSettings) -> None:
        self.tip_channels = settings.tip_channels
        self.poster = EchoPoster(settings)
        self._reading: asyncio.Task[None] | None = None

    async def open(self, bot: QABot) -> None:
        self._reading = asyncio.create_task(self._answer_stdin(bot))

    async def _answer_stdin(self, bot: QABot) -> None:
        while line := await asyncio.to_thread(sys.stdin.readline):
            asked = await bot.ask(line.strip(), AskContext(NAME, channel="stdin"))
            reply = replies.reply_to(asked.result, asked.log_id, bot.knowledge)
            shown = {"kind": reply.kind.value, "title": reply.title, "text": reply.text}
            print(json.dumps(shown), flush=True)

    async def closed(self) -> None:
        assert self._reading is not None
        await asyncio.shield(self._reading)

    async def post_tip(self, tip: Tip) -> str | None:
        return await self.poster.post(tip)

    async def close(self) -> None:
        pass


def command(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(NAME, help="run the echo bot (stdin and stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    core, settings = load_settings(read_settings)
    return runtime.run(core, EchoConnection(settings))


PLATFORM = Platform(
    name=NAME,
    command=command,
    settings=read_settings,
    tip_channels=tip_channels,
    tip_poster=EchoPoster,
)
