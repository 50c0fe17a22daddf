"""The Discord client: /ask (with autocomplete), /tip, @-mentions and feedback buttons.

Thin by design: events become ``QABot`` calls; the core's replies become embeds and buttons.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.cooldown import Check, MentionCooldown, Verdict
from adapters.discord.delivery import DELIVER_WITHIN, deliver
from adapters.discord.endpoints import NONE, use_endpoints
from adapters.discord.gateway import tolerate_malformed
from adapters.discord.keys import EntryKeys
from adapters.discord.mentors import ask_mentor
from adapters.discord.replies import (
    Outgoing,
    apologise,
    compose,
    guard,
    interaction_context,
    message_context,
    note,
    send,
    within_budget,
)
from adapters.discord.settings import DiscordSettings
from adapters.discord.views import DYNAMIC_ITEMS, Vote
from bot import replies
from bot.errors import DeliveryFailed
from bot.models import AskContext
from bot.replies import PickKind
from bot.service import Asked, QABot

log = logging.getLogger(__name__)

RESPOND_WITHIN = 2.0  # answer directly if ready by then, else defer: Discord allows 3 s


class QAClient(discord.Client):
    """A discord.py client wired to one ``QABot``."""

    def __init__(
        self,
        qabot: QABot,
        settings: DiscordSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        respond_within: float = RESPOND_WITHIN,
        deliver_within: float = DELIVER_WITHIN,
        **options: Any,
    ) -> None:
        # Mentions deliver their content without the privileged Message Content intent.
        intents = discord.Intents.default()
        intents.message_content = False
        super().__init__(intents=intents, allowed_mentions=NONE, **options)
        self.qabot = qabot
        self.settings = settings
        self._keys: tuple[object, EntryKeys] | None = None
        self.cooldown = MentionCooldown(
            settings.mention_limit, settings.mention_window, clock=clock
        )
        self.respond_within = respond_within
        self.deliver_within = deliver_within  # the most one reply may take, retries included
        self.tree = build_tree(self)

    @property
    def keys(self) -> EntryKeys:
        """Short keys of the knowledge now: rebuilt after a reload, never a stale copy."""
        knowledge = self.qabot.knowledge
        if self._keys is None or self._keys[0] is not knowledge:
            self._keys = (knowledge, EntryKeys(knowledge.entries))
        return self._keys[1]

    # --- lifecycle --------------------------------------------------------------------------

    @property  # type: ignore[override]
    def ws(self) -> discord.gateway.DiscordWebSocket | None:
        return self._gateway_socket

    @ws.setter
    def ws(self, socket: discord.gateway.DiscordWebSocket | None) -> None:
        # discord.py sets this for every (re)connection: each socket skips malformed events.
        if socket is not None:
            tolerate_malformed(socket, self.on_malformed_event)
        self._gateway_socket = socket

    def on_malformed_event(self, event: str, error: Exception) -> None:
        """One gateway event could not be parsed: skip it (the payload is not logged)."""
        self.qabot.metrics.errors.labels(kind="discord_event").inc()
        log.warning("skipped a malformed Discord gateway event (%s): %r", event, error)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.sync_commands()

    async def on_ready(self) -> None:
        log.debug("connected as %s to %d server(s)", self.user, len(self.guilds))

    async def sync_commands(self) -> None:
        """Register /ask and /tip: per guild (instant) when DISCORD_GUILD_IDS is set."""
        try:
            if not self.settings.guild_ids:
                synced = await self.tree.sync()
                log.debug("synced %d commands globally", len(synced))
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.debug("synced %d commands to guild %s", len(synced), guild_id)
        except discord.Forbidden as exc:
            log.error(
                "could not sync slash commands (%s): invite the bot with the "
                "applications.commands scope, and check DISCORD_GUILD_IDS",
                exc.text,
            )
        except discord.HTTPException:
            log.exception("could not sync slash commands; mentions still work")

    # --- @-mentions ------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        me = self.user
        # Only a mention of the bot itself: not @everyone, @here or a role.
        if me is None or message.author.bot or all(u.id != me.id for u in message.mentions):
            return
        if not self.qabot.in_flight.accepting:
            return  # shutting down: the process that replaces this one answers it
        async with self.qabot.in_flight.handling(
            f"answering mention {message.id}", lambda: self.reply(message, note(replies.SORRY))
        ):
            await self.answer_mention(message)

    async def answer_mention(self, message: discord.Message) -> None:
        # Counted before any await, so mentions are judged in the order Discord sent them.
        check = self.cooldown.check(str(message.author.id))
        # Two processes briefly overlap on deploys; only the one that claims the message replies.
        event_id = f"message:{message.id}"
        if not await self.qabot.claim_event("discord", event_id):
            return
        try:
            await self.answer_claimed(message, check)
        except DeliveryFailed:
            await self.qabot.release_event("discord", event_id)  # seen again: answered then
            self.qabot.metrics.errors.labels(kind="discord_post").inc()
            raise

    async def answer_claimed(self, message: discord.Message, check: Check) -> None:
        if check.verdict is Verdict.SILENT:
            return
        if check.verdict is Verdict.WARN:
            await self.reply(message, note(replies.slow_down(check.wait_seconds)))
            return
        asked = await self.qabot.ask(message.content, message_context(message))
        # A message reply cannot be private on Discord: a miss is seen by the channel too.
        await self.reply(message, self.compose(asked))

    async def reply(self, message: discord.Message, outgoing: Outgoing) -> None:
        post = message.reply(**outgoing.kwargs(), mention_author=False, allowed_mentions=NONE)
        await deliver(post, self.deliver_within)

    def compose(self, asked: Asked) -> Outgoing:
        name = self.user.name if self.user else None
        mentors = self.settings.mentor_channel is not None
        reply = replies.reply_to(
            asked.result, asked.log_id, self.qabot.knowledge, bot_name=name, mentors=mentors
        )
        return compose(reply)

    # --- slash commands ----------------------------------------------------------------------

    async def on_ask(self, interaction: discord.Interaction[Any], question: str) -> None:
        async with guard(interaction, "/ask", self.qabot.in_flight):
            work = self.ask_or_answer(question, interaction_context(interaction))
            asked = await within_budget(interaction, work, self.respond_within)
            await send(interaction, self.compose(asked))

    async def ask_or_answer(self, question: str, ctx: AskContext) -> Asked:
        """A chosen autocomplete suggestion answers that entry; free text is matched."""
        chosen = self.keys.resolve(question)
        if chosen is not None:
            asked = await self.qabot.pick(chosen.id, ctx, via="autocomplete")
            if asked is not None:
                return asked
        return await self.qabot.ask(question, ctx)

    def suggest(self, current: str, channel: str | None = None) -> list[app_commands.Choice[str]]:
        """Autocomplete: up to 25 entry questions closest to what is typed (the channel's
        course first)."""
        try:
            entries = self.qabot.complete(current, 25, channel)
        except Exception:
            log.exception("autocomplete failed for %r", current)
            return []
        choices: dict[str, app_commands.Choice[str]] = {}
        for entry in entries[:25]:
            value = self.keys.choice_value(entry)
            choices.setdefault(
                value,
                app_commands.Choice(
                    name=replies.choice(entry).label(render.CHOICE_LIMIT), value=value
                ),
            )
        return list(choices.values())

    async def on_tip(self, interaction: discord.Interaction[Any]) -> None:
        async with guard(interaction, "/tip", self.qabot.in_flight):
            entry = self.qabot.random_tip()
            await send(interaction, compose(replies.tip(entry)))

    # --- buttons ---------------------------------------------------------------------------

    async def on_vote(
        self, interaction: discord.Interaction[Any], log_id: int, vote: Vote, keys: Sequence[str]
    ) -> None:
        async with guard(interaction, "vote", self.qabot.in_flight):
            ctx = interaction_context(interaction)
            work = self.qabot.vote(log_id, ctx, vote)
            stored = await within_budget(interaction, work, self.respond_within, private=True)
            others = [entry for key in keys if (entry := self.keys.by_key(key)) is not None]
            await send(interaction, compose(replies.after_vote(vote, stored, "", others, log_id)))

    async def on_other(
        self, interaction: discord.Interaction[Any], keys: Sequence[str], log_id: int | None
    ) -> None:
        async with guard(interaction, "other answers", self.qabot.in_flight):
            entries = [entry for key in keys if (entry := self.keys.by_key(key)) is not None]
            await send(interaction, compose(replies.others("", entries, log_id)))

    async def on_pick(
        self, interaction: discord.Interaction[Any], key: str, via: PickKind, log_id: int | None
    ) -> None:
        async with guard(interaction, "pick", self.qabot.in_flight):
            entry = self.keys.by_key(key)
            if entry is None:
                await send(interaction, note(replies.GONE))
                return
            ctx = interaction_context(interaction)
            work = self.qabot.pick(entry.id, ctx, via=via, log_id=log_id)
            asked = await within_budget(interaction, work, self.respond_within)
            if asked is None:
                await send(interaction, note(replies.GONE))
                return
            await send(interaction, self.compose(asked))

    async def on_mentor(self, interaction: discord.Interaction[Any], log_id: int) -> None:
        async with guard(interaction, "ask a mentor", self.qabot.in_flight):
            await ask_mentor(self, interaction, log_id)


def build_tree(client: QAClient) -> app_commands.CommandTree[QAClient]:
    """The /ask and /tip commands; callbacks delegate to the client."""
    tree: app_commands.CommandTree[QAClient] = app_commands.CommandTree(client)

    @tree.command(name="ask", description="Ask a question about the webinars and the course")
    @app_commands.describe(question="Type your question, or pick one of the suggestions")
    async def ask(interaction: discord.Interaction[QAClient], question: str) -> None:
        await client.on_ask(interaction, question)

    @ask.autocomplete("question")
    async def ask_autocomplete(
        interaction: discord.Interaction[QAClient], current: str
    ) -> list[app_commands.Choice[str]]:
        channel = str(interaction.channel_id) if interaction.channel_id else None
        return client.suggest(current, channel)

    @tree.command(name="tip", description="Show a tip from the webinars and the course")
    async def tip(interaction: discord.Interaction[QAClient]) -> None:
        await client.on_tip(interaction)

    @tree.error
    async def on_error(
        interaction: discord.Interaction[QAClient], error: app_commands.AppCommandError
    ) -> None:
        log.error("app command failed: %s", error, exc_info=error)
        await apologise(interaction)

    return tree


def create_bot(qabot: QABot, settings: DiscordSettings, **options: Any) -> QAClient:
    """The production client, talking to DISCORD_API_URL and DISCORD_GATEWAY_URL."""
    use_endpoints(settings)
    return QAClient(qabot, settings, **options)
