"""Weekly tip rows: claim a (platform, channel, ISO week) before posting, so it is posted once."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import clean, schema
from bot.store.rows import utc
from bot.store.weekly_claim import claim_week

log = logging.getLogger(__name__)

# A released claim keeps its row with this time: stale at once, so the next run retakes it and
# asks the platform first (a post that failed may still have gone through).
RELEASED_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class TipClaim:
    """Proof that this process may post the week's tip (until the claim goes stale)."""

    id: int
    token: str
    platform: str
    channel: str
    week: str
    entry_id: str
    # Taken over from a claim never recorded as posted: its post may have reached the platform.
    retaken: bool = False


@dataclass(frozen=True, slots=True)
class TipRecord:
    week: str
    entry_id: str
    claimed_at: dt.datetime
    posted_at: dt.datetime | None
    message_ref: str | None


class TipLedger:
    """Reads and claims rows of ``tip_posts``; the unique constraint decides who posts."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def claim(
        self,
        platform: str,
        channel: str,
        week: str,
        entry_id: str,
        now: dt.datetime,
        stale_after: dt.timedelta,
    ) -> TipClaim | None:
        """Claim the week for this channel; None if it is posted or freshly claimed elsewhere.

        A claim older than ``stale_after`` that never got posted (a crash between claim and post)
        is taken over, so the week is not lost.
        """
        tips = schema.tip_posts
        token = secrets.token_hex(16)
        channel = clean.key(channel, 64)
        values = {
            "entry_id": clean.stored_entry_id(entry_id),
            "claim_token": token,
            "claimed_at": utc(now),
        }
        key = {"platform": platform, "channel": channel, "iso_week": week}
        async with self.engine.begin() as conn:
            row_id, retaken = await claim_week(conn, tips, key, values, now, stale_after)
        if retaken:
            log.warning("re-claimed a stale tip claim for %s/%s %s", platform, channel, week)
        if row_id is None:
            return None
        return TipClaim(int(row_id), token, platform, channel, week, entry_id, retaken)

    async def mark_posted(self, claim: TipClaim, message_ref: str | None, now: dt.datetime) -> bool:
        """Record the post; False if the claim had gone stale and another process took it."""
        tips = schema.tip_posts
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(tips)
                .where(tips.c.id == claim.id, tips.c.claim_token == claim.token)
                .values(posted_at=utc(now), message_ref=clean.optional_key(message_ref, 200))
            )
        if result.rowcount == 0:
            log.warning(
                "tip for %s/%s %s was posted after its claim went stale; it may appear twice",
                claim.platform,
                claim.channel,
                claim.week,
            )
        return bool(result.rowcount)

    async def release(self, claim: TipClaim) -> None:
        """Give the week back (posting failed), so a later run can try again."""
        tips = schema.tip_posts
        async with self.engine.begin() as conn:
            await conn.execute(
                update(tips)
                .where(
                    tips.c.id == claim.id,
                    tips.c.claim_token == claim.token,
                    tips.c.posted_at.is_(None),
                )
                .values(claimed_at=utc(RELEASED_AT))
            )

    async def records(self, platform: str, channel: str) -> list[TipRecord]:
        """Every row for the channel, oldest week first; entry ids in their stored form."""
        tips = schema.tip_posts
        query = (
            select(tips)
            .where(tips.c.platform == platform, tips.c.channel == clean.key(channel, 64))
            .order_by(tips.c.iso_week, tips.c.id)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            TipRecord(
                week=row["iso_week"],
                entry_id=row["entry_id"],
                claimed_at=utc(row["claimed_at"]),
                posted_at=utc(row["posted_at"]) if row["posted_at"] else None,
                message_ref=row["message_ref"],
            )
            for row in rows
        ]
