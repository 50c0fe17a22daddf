"""Alias proposals as the host sees them: listed with how many members made each, then
accepted or rejected (``qabot learn``); the accepted ones become entry aliases at every load.

Proposals are written with the pick that made them, by the log writer (``bot.store.rows``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import schema
from bot.store.rows import utc

Status = Literal["pending", "accepted", "rejected"]
STATUSES: tuple[Status, ...] = ("pending", "accepted", "rejected")


@dataclass(frozen=True, slots=True)
class AliasProposal:
    id: int
    wording: str
    entry_id: str
    status: Status
    members: int  # how many members made it
    created_at: dt.datetime
    decided_at: dt.datetime | None


class AliasStore:
    """Reads and decides proposals (``qabot learn``), and lists the accepted aliases."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def proposals(
        self, status: Status | None = "pending", *, limit: int | None = None
    ) -> list[AliasProposal]:
        """Proposals with ``status`` (all when None), most members first, then oldest first."""
        table, proposers = schema.alias_proposals, schema.alias_proposers
        members = (
            select(proposers.c.proposal_id, func.count().label("members"))
            .group_by(proposers.c.proposal_id)
            .subquery()
        )
        count = func.coalesce(members.c.members, 0)
        query = (
            select(table, count.label("members"))
            .select_from(table.outerjoin(members, members.c.proposal_id == table.c.id))
            .order_by(count.desc(), table.c.created_at, table.c.id)
        )
        if status is not None:
            query = query.where(table.c.status == status)
        if limit is not None:
            query = query.limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_proposal(row) for row in rows]

    async def get(self, proposal_id: int) -> AliasProposal | None:
        found = [p for p in await self.proposals(None) if p.id == proposal_id]
        return found[0] if found else None

    async def decide(
        self, proposal_id: int, status: Status, now: dt.datetime
    ) -> AliasProposal | None:
        """Accept or reject a proposal (or take it back to pending); None if there is none."""
        table = schema.alias_proposals
        decided = None if status == "pending" else utc(now)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(table)
                .where(table.c.id == proposal_id)
                .values(status=status, decided_at=decided)
            )
        if not result.rowcount:
            return None
        return await self.get(proposal_id)

    async def accepted(self) -> dict[str, tuple[str, ...]]:
        """Accepted wordings by stored entry id, oldest first."""
        table = schema.alias_proposals
        query = (
            select(table.c.entry_id, table.c.wording)
            .where(table.c.status == "accepted")
            .order_by(table.c.decided_at, table.c.id)
        )
        aliases: dict[str, list[str]] = {}
        async with self.engine.connect() as conn:
            for entry_id, wording in await conn.execute(query):
                aliases.setdefault(str(entry_id), []).append(str(wording))
        return {entry_id: tuple(wordings) for entry_id, wordings in aliases.items()}


def _proposal(row: object) -> AliasProposal:
    values = dict(row)  # type: ignore[call-overload]
    decided = values["decided_at"]
    return AliasProposal(
        id=int(values["id"]),
        wording=str(values["wording"]),
        entry_id=str(values["entry_id"]),
        status=values["status"],
        members=int(values["members"]),
        created_at=utc(values["created_at"]),
        decided_at=None if decided is None else utc(decided),
    )
