"""The slack-bolt app: listeners that turn Slack events into QABot calls, and the core's
replies into Block Kit.

Every listener runs under the core's ``answer_or_apologise`` (counted as in flight, so that
SIGTERM lets it finish): an error is logged and the member gets a short apology, never a
traceback. What to say is decided in ``bot.replies``. Replies go out through
``delivery.deliver``: retried by the SDK, bounded in time, and never followed by an apology
when Slack did not take them (a mention's claim is given back for Slack's redelivery).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.delivery import DELIVER_WITHIN, REQUEST_TIMEOUT, deliver, retry_handlers
from adapters.slack.settings import SlackSettings
from bot import replies
from bot.errors import DeliveryFailed
from bot.models import AskContext, Entry
from bot.replies import Reply
from bot.service import Asked, QABot

log = logging.getLogger(__name__)

PLATFORM = "slack"

Payload = dict[str, Any]
Send = Callable[..., Awaitable[Any]]
Handler = Callable[..., Awaitable[None]]
EPHEMERAL = {"response_type": "ephemeral", "replace_original": False}


def make_client(settings: SlackSettings, client: AsyncWebClient | None = None) -> AsyncWebClient:
    """A Web API client (or ``client``, set up) for SLACK_API_URL that retries what is worth
    retrying: connection errors, 500/503, and 429 after its Retry-After."""
    client = client or AsyncWebClient(token=settings.bot_token)
    client.base_url = api_base(settings.api_url)
    client.timeout = REQUEST_TIMEOUT
    client.retry_handlers = retry_handlers()
    return client


def api_base(url: str) -> str:
    """The SDK joins method names with urljoin, so a base path must end with '/'."""
    return url if url.endswith("/") else url + "/"


def build_app(
    bot: QABot, settings: SlackSettings, *, deliver_within: float = DELIVER_WITHIN
) -> AsyncApp:
    """The bolt app with every listener registered; serve it over HTTP or Socket Mode.

    ``deliver_within`` bounds the time one reply may take, Slack's retries included.
    """
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
    public = settings.answer_in_channel
    mentors = settings.mentor_channel is not None
    app.command("/ask")(make_ask_handler(bot, public, deliver_within, mentors))
    app.command("/tip")(make_tip_handler(bot))
    app.event("app_mention")(make_mention_handler(bot, deliver_within, mentors))
    app.action(render.VOTE_UP)(make_vote_handler(bot, "up"))
    app.action(render.VOTE_DOWN)(make_vote_handler(bot, "down"))
    app.action(render.NOT_THIS)(make_not_this_handler(bot))
    app.action(re.compile(rf"^{render.PICK}_\d+$"))(make_pick_handler(bot, public, deliver_within))
    if settings.mentor_channel is not None:
        from adapters.slack.mentors import make_mentor_handler

        app.action(render.ASK_MENTOR)(make_mentor_handler(bot, settings.mentor_channel))
    app.error(_log_unhandled)
    return app


async def _log_unhandled(error: Exception, body: Payload) -> None:
    log.error("unhandled error for a %s request", body.get("type", "slash command"), exc_info=error)


def question_text(text: str) -> str:
    """The question as typed: Slack escapes &, <, >; the core removes mention markup."""
    return render.unescape(text).strip()


def reply_to(bot: QABot, asked: Asked, *, mentors: bool = False) -> Reply:
    return replies.reply_to(asked.result, asked.log_id, bot.knowledge, mentors=mentors)


def apology(send: Send, **where: Any) -> Callable[[], Awaitable[object]]:
    """How to apologise through ``send``: the core's guard calls it on an error."""
    return lambda: send(**render.render(replies.note(replies.SORRY)).as_kwargs(), **where)


async def respond_with(respond: Send, reply: Reply, *, public: bool, asker: str | None) -> None:
    """Through the response URL: public answers in the channel, the rest to the asker only."""
    shown = public and not reply.private
    message = render.render(reply, asker=asker if shown else None)
    response_type = "in_channel" if shown else "ephemeral"
    await respond(**message.as_kwargs(), response_type=response_type, replace_original=False)


async def post_in_thread(
    client: AsyncWebClient,
    reply: Reply,
    ctx: AskContext,
    ts: str,
    within: float = DELIVER_WITHIN,
) -> None:
    """In a thread: public replies for everyone, private ones seen by the asker only."""
    message = render.render(reply).as_kwargs()
    if reply.private:
        post = client.chat_postEphemeral(
            channel=ctx.channel or "", user=ctx.user or "", thread_ts=ts, **message
        )
    else:
        post = client.chat_postMessage(
            channel=ctx.channel or "", thread_ts=ts, unfurl_links=False, **message
        )
    await deliver(post, within)


# --- /ask and /tip ------------------------------------------------------------------------


def make_ask_handler(bot: QABot, public: bool, within: float, mentors: bool = False) -> Handler:
    async def ask(ack: Send, command: Payload, respond: Send) -> None:
        question = question_text(command.get("text", ""))
        if not question:
            await ack(**render.render(replies.note(replies.usage())).as_kwargs())
            return
        await ack()  # the 3-second rule; answering and logging happen after
        async with bot.in_flight.handling(f"/ask {question!r}", apology(respond, **EPHEMERAL)):
            ctx = AskContext(
                PLATFORM, command.get("team_id"), command.get("channel_id"), command.get("user_id")
            )
            asked = await bot.ask(question, ctx)
            reply = reply_to(bot, asked, mentors=mentors)
            await deliver(respond_with(respond, reply, public=public, asker=ctx.user), within)

    return ask


def make_tip_handler(bot: QABot) -> Handler:
    async def tip(ack: Send) -> None:
        async with bot.in_flight.handling("/tip", apology(ack)):
            await ack(**render.render(replies.tip(bot.random_tip())).as_kwargs())  # ephemeral

    return tip


# --- @-mentions ---------------------------------------------------------------------------


def make_mention_handler(bot: QABot, within: float, mentors: bool = False) -> Handler:
    async def mention(event: Payload, body: Payload, client: AsyncWebClient) -> None:
        if event.get("bot_id") or event.get("subtype") == "bot_message":
            return  # other bots, and this one, never get an answer
        ctx = AskContext(PLATFORM, body.get("team_id"), event.get("channel"), event.get("user"))
        thread_ts = str(event.get("thread_ts") or event.get("ts"))
        event_id = body.get("event_id") or f"{ctx.channel}:{event.get('ts')}"
        sorry = replies.note(replies.SORRY)
        async with bot.in_flight.handling(
            f"mention {event_id}", lambda: post_in_thread(client, sorry, ctx, thread_ts, within)
        ):
            if not await bot.claim_event(PLATFORM, event_id):
                log.info("event %s already handled; ignoring the retry", event_id)
                return
            asked = await bot.ask(question_text(event.get("text", "")), ctx)
            reply = reply_to(bot, asked, mentors=mentors)
            try:
                await post_in_thread(client, reply, ctx, thread_ts, within)
            except DeliveryFailed:
                await bot.release_event(PLATFORM, event_id)  # Slack's redelivery answers it
                bot.metrics.errors.labels(kind="slack_post").inc()
                raise

    return mention


# --- buttons ------------------------------------------------------------------------------


def action_context(body: Payload) -> AskContext:
    return AskContext(
        PLATFORM,
        (body.get("team") or {}).get("id"),
        (body.get("channel") or {}).get("id"),
        (body.get("user") or {}).get("id"),
    )


def make_vote_handler(bot: QABot, vote: Literal["up", "down"]) -> Handler:
    async def on_vote(ack: Send, action: Payload, body: Payload, respond: Send) -> None:
        await ack()
        async with bot.in_flight.handling("vote", apology(respond, **EPHEMERAL)):
            value = render.decode_value(action["value"])
            log_id = int(value["l"])
            stored = await bot.vote(log_id, action_context(body), vote)
            others = _entries(bot, value.get("alt", []))
            thanks = replies.after_vote(vote, stored, str(value.get("q", "")), others, log_id)
            await respond(**render.render(thanks).as_kwargs(), **EPHEMERAL)

    return on_vote


def make_not_this_handler(bot: QABot) -> Handler:
    async def not_this(ack: Send, action: Payload, respond: Send) -> None:
        await ack()
        async with bot.in_flight.handling("'Not what I asked'", apology(respond, **EPHEMERAL)):
            value = render.decode_value(action["value"])
            found = _entries(bot, value.get("alt", []))
            log_id = _log_id(value)
            message = render.render(replies.others(str(value.get("q", "")), found, log_id))
            await respond(**message.as_kwargs(), **EPHEMERAL)

    return not_this


def make_pick_handler(bot: QABot, public: bool, within: float) -> Handler:
    async def pick(
        ack: Send, action: Payload, body: Payload, respond: Send, client: AsyncWebClient
    ) -> None:
        await ack()
        async with bot.in_flight.handling("choosing an answer", apology(respond, **EPHEMERAL)):
            value = render.decode_value(action["value"])
            ctx = action_context(body)
            asked = await bot.pick(
                str(value["e"]),
                ctx,
                via=replies.pick_kind(value.get("v")),
                log_id=_log_id(value),
                question=str(value.get("q") or "") or None,
            )
            if asked is None:  # the knowledge changed since the buttons were drawn
                gone = render.render(replies.note(replies.GONE))
                await respond(**gone.as_kwargs(), **EPHEMERAL)
                return
            thread_ts = thread_of(body)
            if thread_ts:  # the choice was offered in a mention's thread: answer there
                await post_in_thread(client, reply_to(bot, asked), ctx, thread_ts, within)
                return
            reply = reply_to(bot, asked)
            await deliver(respond_with(respond, reply, public=public, asker=ctx.user), within)

    return pick


def _entries(bot: QABot, entry_ids: list[Any]) -> list[Entry]:
    """The entries a button names that are still in the knowledge."""
    entries = [bot.knowledge.get(str(entry_id)) for entry_id in entry_ids]
    return [entry for entry in entries if entry is not None]


def _log_id(value: Payload) -> int | None:
    """The log id a button carries (older buttons, and unlogged answers, carry none)."""
    log_id = value.get("l")
    return int(log_id) if isinstance(log_id, int | str) and str(log_id).isdigit() else None


def thread_of(body: Payload) -> str | None:
    """The thread a clicked message is in; ephemeral messages only have the container."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    return str(thread_ts) if thread_ts else None
