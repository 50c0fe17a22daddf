"""Reading settings from the environment: the helper the core and every platform use.

A ``SettingsReader`` collects every missing or invalid variable instead of stopping at the
first, so one ``ConfigError`` names them all. Parsers raise ValueError with a readable reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

from bot.errors import ConfigError

T = TypeVar("T")


class SettingsReader:
    """Reads variables from a mapping (``os.environ`` by default), collecting every problem."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        """The variable, stripped; None when unset or blank."""
        value = self.environ.get(name, "").strip()
        return value or None

    def required(self, name: str, hint: str) -> str:
        value = self.raw(name)
        if value is None:
            self.problems.append(f"{name} is not set: {hint}")
            return ""
        return value

    def parsed(self, name: str, parse: Callable[[str], T], default: T, expected: str) -> T:
        """``parse(value)``, or ``default`` when unset; a ValueError becomes a problem."""
        value = self.raw(name)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError as exc:
            detail = str(exc) if str(exc) else expected
            self.problems.append(f"{name}={value!r} is invalid: {detail}")
            return default

    def problem(self, text: str) -> None:
        """A problem found by a check across variables (e.g. a mode that needs a token)."""
        self.problems.append(text)

    def check(self) -> None:
        """Raise one ConfigError listing every problem found so far."""
        if self.problems:
            raise ConfigError(self.problems)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value <= 0:
        raise ValueError("expected a number above 0")
    return value


def port(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise ValueError("expected a port number from 1 to 65535")
    return value


def url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError("expected an absolute http(s) or ws(s) URL")
    return text


def split_list(text: str) -> list[str]:
    """Split a comma-separated list, ignoring spaces and empty items."""
    return [part.strip() for part in text.split(",") if part.strip()]


def choice(*allowed: str) -> Callable[[str], str]:
    """A parser accepting one of ``allowed`` (case-insensitive), returned in lower case."""

    def parse(text: str) -> str:
        value = text.lower()
        if value not in allowed:
            raise ValueError("expected " + " or ".join(repr(a) for a in allowed))
        return value

    return parse
