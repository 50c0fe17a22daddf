"""Persistent buttons: state lives in the custom_id, so clicks work after a restart.

The buttons only parse their custom_id; what a click does lives in the client (``ButtonHandler``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, Protocol, cast

import discord
from discord import ui

from adapters.discord import render
from adapters.discord.keys import entry_key
from bot.replies import ASK_MENTOR, Choice, PickKind

Vote = Literal["up", "down"]
MAX_PICKS = 5  # one row of buttons


class ButtonHandler(Protocol):
    """What the client does for a click (implemented by ``QAClient``)."""

    async def on_vote(
        self, interaction: discord.Interaction[Any], log_id: int, vote: Vote, keys: Sequence[str]
    ) -> None: ...

    async def on_other(
        self, interaction: discord.Interaction[Any], keys: Sequence[str], log_id: int | None
    ) -> None: ...

    async def on_pick(
        self, interaction: discord.Interaction[Any], key: str, via: PickKind, log_id: int | None
    ) -> None: ...

    async def on_mentor(self, interaction: discord.Interaction[Any], log_id: int) -> None: ...


def _handler(interaction: discord.Interaction[Any]) -> ButtonHandler:
    return cast(ButtonHandler, interaction.client)


class VoteButton(
    ui.DynamicItem[ui.Button[Any]],
    template=r"qa:vote:(?P<vote>up|down):(?P<log>\d+)(?::(?P<keys>[0-9a-f.]*))?",
):
    """👍 / 👎 on an answer; the log id says which logged answer the vote is for. A 👎 also
    carries the runners-up keys, offered to pick instead."""

    def __init__(self, vote: Vote, log_id: int, keys: Sequence[str] = ()) -> None:
        self.vote: Vote = vote
        self.log_id = log_id
        self.keys = tuple(keys)
        others = ":" + ".".join(self.keys) if self.keys else ""
        super().__init__(
            ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:vote:{vote}:{log_id}{others}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        keys = [key for key in (match["keys"] or "").split(".") if key]
        return cls(cast(Vote, match["vote"]), int(match["log"]), keys)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_vote(interaction, self.log_id, self.vote, self.keys)


class OtherButton(
    ui.DynamicItem[ui.Button[Any]], template=r"qa:other:(?:(?P<log>\d+):)?(?P<keys>[0-9a-f.]*)"
):
    """The "Not what I asked" button; its custom_id carries the answer's log id (buttons drawn
    before picks were recorded have none) and the runners-up keys."""

    def __init__(self, keys: Sequence[str], log_id: int | None = None) -> None:
        self.keys = tuple(keys)
        self.log_id = log_id
        logged = "" if log_id is None else f"{log_id}:"
        super().__init__(
            ui.Button(
                label="Not what I asked",
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:other:{logged}" + ".".join(self.keys),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> OtherButton:
        keys = [key for key in match["keys"].split(".") if key]
        return cls(keys, int(match["log"]) if match["log"] else None)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_other(interaction, self.keys, self.log_id)


class PickButton(
    ui.DynamicItem[ui.Button[Any]],
    template=r"qa:pick:(?P<key>[0-9a-f]{12})(?::(?P<via>[sc]):(?P<log>\d*))?",
):
    """A suggested entry; clicking it posts that entry's answer. The custom_id also says
    whether it was a suggestion or a correction, and which logged question it follows."""

    def __init__(
        self,
        key: str,
        label: str = "Show this answer",
        via: PickKind = "suggestion",
        log_id: int | None = None,
    ) -> None:
        self.key = key
        self.via: PickKind = via
        self.log_id = log_id
        logged = "" if log_id is None else str(log_id)
        super().__init__(
            ui.Button(
                label=label[: render.LABEL_LIMIT],
                style=discord.ButtonStyle.primary,
                custom_id=f"qa:pick:{key}:{via[0]}:{logged}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> PickButton:
        label = getattr(item, "label", None) or "Show this answer"
        via: PickKind = "correction" if match["via"] == "c" else "suggestion"
        return cls(match["key"], label, via, int(match["log"]) if match["log"] else None)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_pick(interaction, self.key, self.via, self.log_id)


class MentorButton(ui.DynamicItem[ui.Button[Any]], template=r"qa:mentor:(?P<log>\d+)"):
    """ "Ask a mentor" under a miss; the log id says which question to send."""

    def __init__(self, log_id: int) -> None:
        self.log_id = log_id
        super().__init__(
            ui.Button(
                label=ASK_MENTOR,
                style=discord.ButtonStyle.success,
                custom_id=f"qa:mentor:{log_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> MentorButton:
        return cls(int(match["log"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_mentor(interaction, self.log_id)


DYNAMIC_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (
    VoteButton,
    OtherButton,
    PickButton,
    MentorButton,
)


def feedback_view(log_id: int | None, others: Sequence[Choice]) -> ui.View:
    """👍 👎 and "Not what I asked" under an answer (votes need a logged answer)."""
    view = ui.View(timeout=None)
    keys = [entry_key(choice.entry_id) for choice in others[:3]]
    if log_id is not None:
        view.add_item(VoteButton("up", log_id))
        view.add_item(VoteButton("down", log_id, keys))
    view.add_item(OtherButton(keys, log_id))
    return view


def picks_view(
    choices: Sequence[Choice],
    via: PickKind = "suggestion",
    log_id: int | None = None,
    mentor_log_id: int | None = None,
) -> ui.View:
    """One button per entry to pick, labelled with its source; then "Ask a mentor"."""
    view = ui.View(timeout=None)
    for choice in choices[:MAX_PICKS]:
        label = choice.label(render.LABEL_LIMIT)
        view.add_item(PickButton(entry_key(choice.entry_id), label, via, log_id))
    if mentor_log_id is not None:
        view.add_item(MentorButton(mentor_log_id))
    return view
