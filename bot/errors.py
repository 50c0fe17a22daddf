"""Errors the core raises; adapters and the command line turn them into user-facing text.

BotError
├── KnowledgeError      a knowledge file cannot be read or parsed (names file and line)
├── ConfigError         one or more settings are missing or invalid (names all of them)
├── StoreError          the database cannot be used (unreachable, newer schema, ...)
├── UsageError          bad command-line input (exit status 2)
└── DeliveryFailed      the platform did not take a reply (after its retries, within the bound)
"""

from __future__ import annotations

from pathlib import Path


class BotError(Exception):
    """Base class of every error the core raises on purpose."""


class KnowledgeError(BotError):
    """A knowledge file is malformed; the message starts with ``file:line:``."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


class ConfigError(BotError):
    """Settings are missing or invalid; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid configuration ({len(self.problems)} problem(s)):\n{lines}")


class StoreError(BotError):
    """The database cannot be used as needed."""


class UsageError(BotError):
    """Bad command-line input: printed as one line, exit status 2."""


class DeliveryFailed(BotError):
    """The chat platform did not take a reply: it kept failing, or did not answer in time.

    Adapters raise it for platform outages (5xx, 429, timeouts, connection errors) once the
    SDK's own retries are spent. The member is not sent an apology (it would fail too, or
    contradict an answer that went out late); the event's claim is given back instead.
    """
