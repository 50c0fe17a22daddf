"""Surviving a malformed gateway event: one bad frame is logged and counted, not fatal.

discord.py parses every frame inside its read loop; a frame that is not JSON, or an event
whose payload lacks a field or has a non-numeric id, raises there and ends ``Client.connect``
(the worker exits). Each socket the client opens gets its ``received_message`` wrapped so that
such a data error skips that one event. Control flow (reconnects, a closed socket) passes
through untouched: those are not data errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from discord.gateway import DiscordWebSocket

log = logging.getLogger(__name__)

# What parsing a bad payload raises: bad JSON and int("x") are ValueErrors, a missing field a
# KeyError, a null where an object belongs a TypeError or AttributeError.
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError)

OnMalformed = Callable[[str, Exception], None]


def event_name(frame: Any) -> str:
    """The event type of a raw frame, for the log line ("not JSON" when it is not)."""
    try:
        payload = json.loads(frame)
    except (ValueError, TypeError):
        return "not JSON"
    return str(payload.get("t") or f"op {payload.get('op')}") if isinstance(payload, dict) else "?"


def tolerate_malformed(socket: DiscordWebSocket, on_malformed: OnMalformed) -> None:
    """Make ``socket`` skip events it cannot parse, reporting each to ``on_malformed``."""
    received: Callable[[Any], Awaitable[None]] = socket.received_message

    async def received_message(frame: Any, /) -> None:
        try:
            await received(frame)
        except MALFORMED as exc:
            on_malformed(event_name(frame), exc)

    socket.received_message = received_message  # type: ignore[method-assign]
