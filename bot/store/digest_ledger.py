"""Host digest rows: claim a (platform, channel, ISO week) before posting, so it is posted once.

The same protocol as the tip ledger (``bot.store.tip_ledger``): a unique constraint decides
which process posts, a claim that never got posted is taken over once it is stale, and a
failed post gives the week back.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import clean, schema
from bot.store.rows import utc
from bot.store.weekly_claim import claim_week

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """Proof that this process may post the week's digest (until the claim goes stale)."""

    id: int
    token: str
    platform: str
    channel: str
    week: str


class DigestLedger:
    """Reads and claims rows of ``digest_posts``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def posted(self, platform: str, channel: str, week: str) -> bool:
        digests = schema.digest_posts
        query = select(digests.c.id).where(
            digests.c.platform == platform,
            digests.c.channel == clean.key(channel, 64),
            digests.c.iso_week == week,
            digests.c.posted_at.is_not(None),
        )
        async with self.engine.connect() as conn:
            return await conn.scalar(query) is not None

    async def claim(
        self, platform: str, channel: str, week: str, now: dt.datetime, stale_after: dt.timedelta
    ) -> DigestClaim | None:
        """Claim the week for this channel; None if it is posted or freshly claimed elsewhere."""
        digests = schema.digest_posts
        token = secrets.token_hex(16)
        channel = clean.key(channel, 64)
        values = {"claim_token": token, "claimed_at": utc(now)}
        key = {"platform": platform, "channel": channel, "iso_week": week}
        async with self.engine.begin() as conn:
            row_id, retaken = await claim_week(conn, digests, key, values, now, stale_after)
        if retaken:
            log.warning("re-claimed a stale digest claim for %s/%s %s", platform, channel, week)
        if row_id is None:
            return None
        return DigestClaim(int(row_id), token, platform, channel, week)

    async def mark_posted(
        self, claim: DigestClaim, message_ref: str | None, now: dt.datetime
    ) -> bool:
        """Record the post; False if the claim had gone stale and another process took it."""
        digests = schema.digest_posts
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(digests)
                .where(digests.c.id == claim.id, digests.c.claim_token == claim.token)
                .values(posted_at=utc(now), message_ref=clean.optional_key(message_ref, 200))
            )
        return bool(result.rowcount)

    async def release(self, claim: DigestClaim) -> None:
        """Give the week back (posting failed), so a later run can try again."""
        digests = schema.digest_posts
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(digests).where(
                    digests.c.id == claim.id,
                    digests.c.claim_token == claim.token,
                    digests.c.posted_at.is_(None),
                )
            )
