"""The core's ``Reply`` as Discord embeds and message text, within Discord's limits.

What to say is decided in ``bot.replies``; this module only lays it out.
"""

from __future__ import annotations

import discord

from bot.display import clip
from bot.replies import READ_MORE, RECORDING, SOURCE, Kind, Reply

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
CHOICE_LIMIT = 100  # autocomplete choice name and value
LABEL_LIMIT = 80  # button label

ANSWER_COLOUR = discord.Colour(0x5865F2)
TIP_COLOUR = discord.Colour(0xFEE75C)


def is_web_link(url: str | None) -> bool:
    """Discord accepts only http(s) links in embeds; file:// sources are local checkouts."""
    return bool(url) and str(url).startswith(("http://", "https://"))


def links(reply: Reply) -> str:
    """The links under an entry (full answer or source, recording) Discord can show."""
    found = []
    source = reply.source
    if source is not None and is_web_link(source.url):
        found.append(f"[{READ_MORE if reply.full_answer_url else SOURCE}]({source.url})")
    if source is not None and is_web_link(source.recording_url):
        found.append(f"[{RECORDING}]({source.recording_url})")
    return " · ".join(found)


def embed(reply: Reply) -> discord.Embed:
    """An answer or tip: question as title, the shown text, links, and the source as footer."""
    title = clip(reply.title or "", TITLE_LIMIT)
    footer = clip(reply.source.label, FOOTER_LIMIT) if reply.source else ""
    heading = clip(reply.heading, AUTHOR_LIMIT) if reply.heading else None
    budget = min(
        DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(title) - len(footer) - len(heading or "")
    )
    tail = links(reply)
    body = fit(reply.text, budget - len(tail) - 2)
    url = reply.source.url if reply.source and is_web_link(reply.source.url) else None
    result = discord.Embed(
        title=title,
        description=f"{body}\n\n{tail}" if tail else body,
        url=url,
        colour=TIP_COLOUR if reply.kind is Kind.TIP else ANSWER_COLOUR,
    )
    if heading:
        result.set_author(name=heading)
    if footer:
        result.set_footer(text=footer)
    return result


def content(reply: Reply) -> str:
    """A note of ours as message text."""
    return fit(reply.text, CONTENT_LIMIT)


def fit(text: str, limit: int) -> str:
    """A last guard (the core's excerpt keeps answers far below Discord's limits)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return cut[: cut.rfind(" ")] + "…" if " " in cut else cut + "…"


def choice_name(label: str) -> str:
    """An autocomplete choice name (1-100 characters)."""
    return clip(label, CHOICE_LIMIT) or "?"
