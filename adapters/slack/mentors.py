""" "Ask a mentor" on Slack: the button's listener, and the link mentors get to the conversation.

Who may ask, how often, and what everyone reads is decided in ``bot.mentors`` and
``bot.replies``; this module only talks to the Web API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.app import (
    EPHEMERAL,
    Handler,
    Payload,
    Send,
    action_context,
    apology,
    post_in_thread,
    thread_of,
)
from bot import replies
from bot.mentors import MentorDesk
from bot.models import AskContext
from bot.replies import Reply
from bot.service import QABot

CHANNEL_LINK = "https://slack.com/app_redirect"


def make_mentor_handler(bot: QABot, mentor_channel: str) -> Handler:
    desk = MentorDesk(bot)

    async def ask_mentor(
        ack: Send, action: Payload, body: Payload, respond: Send, client: AsyncWebClient
    ) -> None:
        await ack()
        async with bot.in_flight.handling("'Ask a mentor'", apology(respond, **EPHEMERAL)):
            log_id = int(render.decode_value(action["value"])["l"])
            ctx = action_context(body)
            thread_ts = thread_of(body)

            async def post(notice: Reply) -> str | None:
                message = render.render(notice).as_kwargs()
                response = await client.chat_postMessage(
                    channel=mentor_channel, **message, unfurl_links=False, unfurl_media=False
                )
                ts = response.get("ts")
                return str(ts) if ts else None

            link = await conversation_link(client, ctx, thread_ts)
            outcome = await desk.request(log_id, ctx, link=link, post=post)
            said = replies.mentor_reply(outcome, desk.limit, thread=thread_ts is not None)
            if thread_ts and not said.private:
                await post_in_thread(client, said, ctx, thread_ts)
            else:
                await respond(**render.render(said).as_kwargs(), **EPHEMERAL)

    return ask_mentor


async def conversation_link(
    client: AsyncWebClient, ctx: AskContext, thread_ts: str | None
) -> str | None:
    """The thread's permalink; for a question asked with /ask (no thread), the channel."""
    if ctx.channel is None:
        return None
    if thread_ts:
        try:
            response: Any = await client.chat_getPermalink(
                channel=ctx.channel, message_ts=thread_ts
            )
            if response.get("permalink"):
                return str(response["permalink"])
        except SlackApiError:
            pass  # the channel link below still leads the mentors there
    query = {"channel": ctx.channel, **({"team": ctx.workspace} if ctx.workspace else {})}
    return f"{CHANNEL_LINK}?{urlencode(query)}"
