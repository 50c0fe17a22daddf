"""Pure rendering: entries, answers and tips -> Discord embeds and message text within limits."""

from __future__ import annotations

import re

import discord

from bot.models import Entry, NoAnswer, NoAnswerReason

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
ELLIPSIS = "…"
READ_MORE = "Read the full answer"

# A sentence ends at ., ! or ? followed by a space or a line break, or at a blank line.
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\s*\n")


def clip(text: str, limit: int) -> str:
    """``text`` on one budget: cut at a word boundary with an ellipsis when too long."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + ELLIPSIS


def cut_at_sentence(text: str, limit: int) -> tuple[str, bool]:
    """The longest prefix of whole sentences within ``limit``; True when something was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    window = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    # Fall back to a word cut when the only sentence end would waste most of the budget.
    if ends and ends[-1] > limit // 3:
        return text[: ends[-1]].rstrip(), True
    return clip(text, limit), True


def is_web_link(url: str | None) -> bool:
    """Discord accepts only http(s) links in embeds; file:// sources are local checkouts."""
    return bool(url) and str(url).startswith(("http://", "https://"))


def source_line(entry: Entry) -> str:
    """Footer text: the webinar or course section, with the date when the title lacks it."""
    text = entry.source_title
    if entry.date and entry.date not in text:
        text = f"{text} · {entry.date}"
    return clip(text, FOOTER_LIMIT)


def _links(entry: Entry, cut: bool) -> str:
    links = []
    if is_web_link(entry.source_url):
        links.append(f"[{READ_MORE if cut else 'Source'}]({entry.source_url})")
    elif cut:
        links.append(f"{READ_MORE}: {entry.path}")
    if entry.recording_url and is_web_link(entry.recording_url):
        links.append(f"[Recording]({entry.recording_url})")
    return " · ".join(links)


def entry_embed(
    entry: Entry, *, author: str | None = None, colour: discord.Colour | None = None
) -> discord.Embed:
    """An entry as an embed: question as title, answer cut at a sentence, links and footer."""
    title = clip(entry.question, TITLE_LIMIT)
    footer = source_line(entry)
    heading = clip(author, AUTHOR_LIMIT) if author else None
    budget = min(
        DESCRIPTION_LIMIT,
        EMBED_TOTAL_LIMIT - len(title) - len(footer) - len(heading or ""),
    )
    full_links = _links(entry, cut=False)
    body, cut = cut_at_sentence(entry.answer, budget - len(full_links) - 2)
    links = _links(entry, cut=cut)
    if cut:
        # The cut link is longer than the plain "Source" one; re-cut if it no longer fits.
        body, _ = cut_at_sentence(entry.answer, budget - len(links) - 2)
    description = f"{body}\n\n{links}" if links else body
    embed = discord.Embed(
        title=title,
        description=description,
        url=entry.source_url if is_web_link(entry.source_url) else None,
        colour=colour or ANSWER_COLOUR,
    )
    if heading:
        embed.set_author(name=heading)
    embed.set_footer(text=footer)
    return embed


def tip_embed(entry: Entry, *, heading: str = "💡 Tip of the week") -> discord.Embed:
    """The weekly tip (or a /tip answer): an entry embed marked as a tip."""
    return entry_embed(entry, author=heading, colour=TIP_COLOUR)


def no_answer_text(result: NoAnswer, *, bot_name: str = "me") -> str:
    """What to say when there is no confident match (suggestions, if any, come as buttons)."""
    if result.reason is NoAnswerReason.EMPTY:
        return (
            f"Ask me a question about the course, for example `@{bot_name} how do I get the "
            "recording?`, or use `/ask`."
        )
    if result.suggestions:
        return "I couldn't find a confident answer to that. Did you mean one of these?"
    return (
        "I couldn't find an answer to that in the webinar and course notes. Try rephrasing "
        "it with different words, or ask in the channel."
    )


def label(question: str) -> str:
    """A button label for an entry question."""
    return clip(question, LABEL_LIMIT)


def choice_name(question: str) -> str:
    """An autocomplete choice name for an entry question (1-100 characters)."""
    return clip(question, CHOICE_LIMIT) or "?"
