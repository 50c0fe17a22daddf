"""Posting to Slack within a bound, with slack_sdk's own retry handlers.

Connection errors, 500/503 and 429 (after its Retry-After) are retried by the SDK. A call that
timed out is not repeated: Slack may have posted it. What still fails, or takes longer than
the bound, becomes the core's ``DeliveryFailed``: no apology, and the event's claim is given
back so that Slack's redelivery is answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)

from bot.errors import DeliveryFailed

T = TypeVar("T")

REQUEST_TIMEOUT = 5  # seconds for one Web API call
DELIVER_WITHIN = 12.0  # seconds for one reply, every retry and Retry-After wait included
CONNECTION_RETRIES = 2
SERVER_ERROR_RETRIES = 2  # backoff 0.5 s, then 1 s
RATE_LIMIT_RETRIES = 3


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


async def deliver(post: Awaitable[T], within: float = DELIVER_WITHIN) -> T:
    """Await a Web API call; ``DeliveryFailed`` when Slack is down, limiting or too slow.

    Other refusals (a 4xx such as ``invalid_blocks``) are the bot's fault and stay errors.
    """
    try:
        async with asyncio.timeout(within):
            return await post
    except TimeoutError:
        raise DeliveryFailed(f"Slack did not take the reply within {within:g} s") from None
    except SlackApiError as exc:
        status = exc.response.status_code
        if status == 429 or status >= 500:
            raise DeliveryFailed(f"Slack answered HTTP {status} after retries") from None
        raise
    except (aiohttp.ClientError, OSError) as exc:
        raise DeliveryFailed(f"cannot reach Slack: {exc!r}") from None
