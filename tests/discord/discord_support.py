"""Helpers shared by the Discord tests; named uniquely, since every test folder has a conftest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.models import NoAnswer
from bot.service import QABot

KNOWLEDGE = Path(__file__).parent / "knowledge"
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)  # a Monday, after the 09:00 UTC slot
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # bounds for reading every logged question
FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


MISS_PHRASINGS = (
    "what about the deadline for stuff",
    "recording homework project",
    "deadline stuff homework",
    "the thing about late submissions and recordings",
)


def a_miss(qabot: QABot) -> tuple[str, NoAnswer]:
    """A question the core has no confident answer for, but suggestions (matcher-independent)."""
    for question in MISS_PHRASINGS:
        result = qabot.matcher.ask(question)
        if isinstance(result, NoAnswer) and len(result.suggestions) >= 2:
            return question, result
    pytest.fail(f"none of {MISS_PHRASINGS} is a miss with suggestions; update the phrasings")


class Clock:
    """A settable clock for cooldowns (seconds) and the core (datetimes)."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.now = NOW

    def monotonic(self) -> float:
        return self.seconds

    def utc(self) -> dt.datetime:
        return self.now


Connect = Callable[..., Any]  # the ``connect`` fixture: start a client, return it
