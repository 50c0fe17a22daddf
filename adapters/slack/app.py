"""The slack-bolt app: listeners that turn Slack events into QABot calls and results into blocks.

Each listener is built by a small factory and guarded: an error is logged and the user gets a
short apology, never a traceback. There is no matching logic here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.settings import SlackSettings
from bot.models import Answer, AskContext, Candidate, NoAnswerReason
from bot.service import Asked, QABot

log = logging.getLogger(__name__)

PLATFORM = "slack"
RATE_LIMIT_RETRIES = 3

Payload = dict[str, Any]
Send = Callable[..., Awaitable[Any]]


def make_client(settings: SlackSettings, client: AsyncWebClient | None = None) -> AsyncWebClient:
    """A Web API client (or ``client``, set up) for SLACK_API_URL that waits out 429s."""
    client = client or AsyncWebClient(token=settings.bot_token)
    client.base_url = api_base(settings.api_url)
    client.retry_handlers = [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
    return client


def api_base(url: str) -> str:
    """The SDK joins method names with urljoin, so a base path must end with '/'."""
    return url if url.endswith("/") else url + "/"


def build_app(bot: QABot, settings: SlackSettings) -> AsyncApp:
    """The bolt app with every listener registered; serve it over HTTP or Socket Mode."""
    # Bolt builds its client from the token: handing it one of ours while SLACK_BOT_TOKEN is
    # set makes it warn that the token "will be unused". Its client is set up here instead.
    app = AsyncApp(
        token=settings.bot_token,
        signing_secret=settings.signing_secret or "",
        # Socket Mode requests are not signed; bolt skips verification for them anyway.
        request_verification_enabled=settings.signing_secret is not None,
        logger=logging.getLogger("slack_bolt"),
    )
    make_client(settings, app.client)
    visibility = "in_channel" if settings.answer_in_channel else "ephemeral"
    app.command("/ask")(make_ask_handler(bot, visibility))
    app.command("/tip")(make_tip_handler(bot))
    app.event("app_mention")(make_mention_handler(bot))
    app.action(render.VOTE_UP)(make_vote_handler(bot, "up"))
    app.action(render.VOTE_DOWN)(make_vote_handler(bot, "down"))
    app.action(render.NOT_THIS)(make_not_this_handler(bot))
    app.action(re.compile(rf"^{render.PICK}_\d+$"))(make_pick_handler(bot, visibility))
    app.error(_log_unhandled)
    return app


async def _log_unhandled(error: Exception, body: Payload) -> None:
    log.error("unhandled error for a %s request", body.get("type", "slash command"), exc_info=error)


def question_text(text: str) -> str:
    """The question as typed: Slack escapes &, <, >; the core removes mention markup."""
    return render.unescape(text).strip()


async def apologise(send: Send, **extra: Any) -> None:
    try:
        await send(**render.render_apology().as_kwargs(), **extra)
    except Exception:
        log.exception("could not even send the apology")


def render_result(asked: Asked, *, asker: str | None = None) -> render.Message:
    """Answer, honest "not sure" with suggestions, or usage help for an empty question."""
    result = asked.result
    if isinstance(result, Answer):
        return render.render_answer(result, asked.log_id, asker=asker)
    if result.reason is NoAnswerReason.EMPTY:
        return render.render_usage()
    return render.render_no_answer(result)


# --- /ask and /tip ------------------------------------------------------------------------


def make_ask_handler(bot: QABot, visibility: str) -> Callable[..., Awaitable[None]]:
    async def ask(ack: Send, command: Payload, respond: Send) -> None:
        question = question_text(command.get("text", ""))
        if not question:
            await ack(**render.render_usage().as_kwargs())
            return
        await ack()  # the 3-second rule; answering and logging happen after
        try:
            ctx = AskContext(
                PLATFORM, command.get("team_id"), command.get("channel_id"), command.get("user_id")
            )
            asked = await bot.ask(question, ctx)
            answered = isinstance(asked.result, Answer)
            message = render_result(
                asked, asker=ctx.user if answered and visibility == "in_channel" else None
            )
            response_type = visibility if answered else "ephemeral"
            await respond(**message.as_kwargs(), response_type=response_type)
        except Exception:
            log.exception("/ask failed for %r", question)
            await apologise(respond, response_type="ephemeral")

    return ask


def make_tip_handler(bot: QABot) -> Callable[..., Awaitable[None]]:
    async def tip(ack: Send) -> None:
        try:
            message = render.render_tip(bot.random_tip())
        except Exception:
            log.exception("/tip failed")
            message = render.render_apology()
        await ack(**message.as_kwargs())  # ephemeral: only the asker sees it

    return tip


# --- @-mentions ---------------------------------------------------------------------------


def make_mention_handler(bot: QABot) -> Callable[..., Awaitable[None]]:
    async def mention(event: Payload, body: Payload, say: Send) -> None:
        if event.get("bot_id") or event.get("subtype") == "bot_message":
            return  # other bots, and this one, never get an answer
        thread_ts = event.get("thread_ts") or event.get("ts")
        try:
            event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
            if not await bot.claim_event(PLATFORM, event_id):
                log.info("event %s already handled; ignoring the retry", event_id)
                return
            ctx = AskContext(PLATFORM, body.get("team_id"), event.get("channel"), event.get("user"))
            asked = await bot.ask(question_text(event.get("text", "")), ctx)
            message = render_result(asked)
            await say(**message.as_kwargs(), thread_ts=thread_ts, unfurl_links=False)
        except Exception:
            log.exception("mention %s failed", body.get("event_id"))
            await apologise(say, thread_ts=thread_ts)

    return mention


# --- buttons ------------------------------------------------------------------------------


def action_context(body: Payload) -> AskContext:
    return AskContext(
        PLATFORM,
        (body.get("team") or {}).get("id"),
        (body.get("channel") or {}).get("id"),
        (body.get("user") or {}).get("id"),
    )


def make_vote_handler(bot: QABot, vote: Literal["up", "down"]) -> Callable[..., Awaitable[None]]:
    async def on_vote(ack: Send, action: Payload, body: Payload, respond: Send) -> None:
        await ack()
        try:
            log_id = int(render.decode_value(action["value"])["l"])
            stored = await bot.vote(log_id, action_context(body), vote)
            thanks = "Thanks for the feedback!" if stored else "Sorry, I could not save your vote."
            await respond(**render.render_text(thanks).as_kwargs(), **_ephemeral())
        except Exception:
            log.exception("vote failed")
            await apologise(respond, **_ephemeral())

    return on_vote


def make_not_this_handler(bot: QABot) -> Callable[..., Awaitable[None]]:
    async def not_this(ack: Send, action: Payload, respond: Send) -> None:
        await ack()
        try:
            value = render.decode_value(action["value"])
            entries = [bot.knowledge.get(str(entry_id)) for entry_id in value.get("alt", [])]
            candidates = [Candidate(entry, 0.0) for entry in entries if entry is not None]
            message = render.render_runners_up(str(value.get("q", "")), candidates)
            await respond(**message.as_kwargs(), **_ephemeral())
        except Exception:
            log.exception("'Not what I asked' failed")
            await apologise(respond, **_ephemeral())

    return not_this


def make_pick_handler(bot: QABot, visibility: str) -> Callable[..., Awaitable[None]]:
    async def pick(ack: Send, action: Payload, body: Payload, respond: Send, say: Send) -> None:
        await ack()
        try:
            value = render.decode_value(action["value"])
            ctx = action_context(body)
            asked = await bot.answer_entry(str(value["e"]), ctx, question=value.get("q"))
            if asked is None:  # the knowledge changed since the buttons were drawn
                message = render.render_text("Sorry, that answer is no longer available.")
                await respond(**message.as_kwargs(), **_ephemeral())
                return
            thread_ts = _thread_of(body)
            if thread_ts:  # the choice was offered in a mention's thread: answer there
                await say(**render_result(asked).as_kwargs(), thread_ts=thread_ts)
                return
            asker = ctx.user if visibility == "in_channel" else None
            message = render_result(asked, asker=asker)
            await respond(**message.as_kwargs(), response_type=visibility, replace_original=False)
        except Exception:
            log.exception("choosing an answer failed")
            await apologise(respond, **_ephemeral())

    return pick


def _thread_of(body: Payload) -> str | None:
    """The thread a clicked message is in; ephemeral messages only have the container."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    return str(thread_ts) if thread_ts else None


def _ephemeral() -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False}
