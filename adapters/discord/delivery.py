"""Sending to Discord within a bound, with discord.py's own retries.

discord.py waits out 429s (their ``retry_after``) and retries 500/502/504 with a growing pause.
This module only bounds the total time of one reply: what still fails, or takes longer,
becomes the core's ``DeliveryFailed`` (no apology; a mention's claim is given back, so that
the message, seen again after a gateway resume or by the next process, is answered).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import aiohttp
import discord

from bot.errors import DeliveryFailed

T = TypeVar("T")

DELIVER_WITHIN = 12.0  # seconds for one reply, every retry and rate-limit wait included


async def deliver(post: Awaitable[T], within: float = DELIVER_WITHIN) -> T:
    """Await a Discord call; ``DeliveryFailed`` when Discord is down, limiting or too slow.

    Other refusals (400, 403, 404) are the bot's fault or the member's doing and stay errors.
    """
    try:
        async with asyncio.timeout(within):
            return await post
    except TimeoutError:
        raise DeliveryFailed(f"Discord did not take the reply within {within:g} s") from None
    except discord.RateLimited as exc:
        raise DeliveryFailed(f"Discord rate limit for {exc.retry_after:.0f} s") from None
    except discord.HTTPException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise DeliveryFailed(f"Discord answered HTTP {exc.status} after retries") from None
        raise
    except (aiohttp.ClientError, OSError) as exc:
        raise DeliveryFailed(f"cannot reach Discord: {exc!r}") from None
