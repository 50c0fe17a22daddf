""" "Ask a mentor": the one path by which the bot brings a person into a conversation.

A member who got no confident answer may press "Ask a mentor" under the miss. The question is
then posted once (``mentor_requests`` is keyed by its log id, so a double click or a
redelivered click posts nothing more) to the platform's mentor channel, with a link back to
the conversation. Only the member who asked may do it, at most ``MENTOR_LIMIT`` times an hour.
What members and mentors read is written in ``bot.replies``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.models import AskContext, MentorOutcome
from bot.replies import Reply, mentor_notice
from bot.store.mentor_store import LoggedAsk, MentorStore
from bot.store.rows import hash_user

if TYPE_CHECKING:
    from bot.service import QABot

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=1)  # MENTOR_LIMIT counts requests in this window
FIND_LOG_WITHIN = 2.0  # seconds to wait for a question still queued for the database

PostNotice = Callable[[Reply], Awaitable[str | None]]  # posts to the mentor channel


class MentorDesk:
    """Sends members' questions to the mentors, once each and within the hourly limit."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self.store = MentorStore(bot.store.engine)
        self.limit = bot.settings.mentor_limit
        self._salt = bot.settings.user_id_salt

    async def request(
        self, log_id: int, ctx: AskContext, *, link: str | None, post: PostNotice
    ) -> MentorOutcome:
        """Send the question behind ``log_id`` to the mentors through ``post``."""
        if ctx.user is None:
            return MentorOutcome.NOT_ASKER
        asked = await self._logged(log_id)
        if asked is None:
            log.warning("mentor request for unknown log id %s", log_id)
            return MentorOutcome.FAILED
        user_hash = hash_user(await self._salt_value(), ctx.platform, ctx.user)
        if asked.user_hash != user_hash:
            return MentorOutcome.NOT_ASKER
        now = self.bot.clock()
        if await self.store.recent(user_hash, now - WINDOW) >= self.limit:
            return MentorOutcome.LIMITED
        claimed = await self.store.claim(
            log_id,
            platform=ctx.platform,
            channel=ctx.channel,
            thread_ref=link,
            user_hash=user_hash,
            question=asked.question,
            now=now,
        )
        if not claimed:
            return MentorOutcome.ALREADY
        try:
            ref = await post(mentor_notice(asked.question, link))
        except Exception:
            await self.store.release(log_id)
            log.exception("could not post a mentor request to the mentor channel")
            return MentorOutcome.FAILED
        await self.store.mark_notified(log_id, ref, self.bot.clock())
        log.info("sent question %s to the mentors on %s", log_id, ctx.platform)
        return MentorOutcome.NOTIFIED

    async def _logged(self, log_id: int) -> LoggedAsk | None:
        asked = await self.store.logged(log_id)
        if asked is None:  # the row may still wait in this process's queue
            await self.bot.flush(FIND_LOG_WITHIN)
            asked = await self.store.logged(log_id)
        return asked

    async def _salt_value(self) -> str:
        if self._salt is None:
            self._salt = await self.bot.store.salt()
        return self._salt
