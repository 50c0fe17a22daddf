"""Markdown to Slack mrkdwn, by the structure markdown-it-py's CommonMark parser finds.

All text is escaped (``&``, ``<``, ``>``), code included, so ``<!channel>`` or ``<@U1>`` in the
knowledge is shown and pings nobody. Links become ``<url|label>``, images links, headings
bold lines, lists bullets indented by depth, code blocks ````` without their language tag.
docs/rendering.md compares this with the Slack converters on PyPI.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_BULLETS = ("•", "◦", "▪")
_INLINE_MARKS = {
    "strong_open": "*",
    "strong_close": "*",
    "em_open": "_",
    "em_close": "_",
    "s_open": "~",
    "s_close": "~",
    "softbreak": " ",  # markdown joins the lines of a paragraph
    "hardbreak": "\n",
}


def escape(text: str) -> str:
    """Escape Slack's three control characters so text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """A mrkdwn link; ``label`` is plain text."""
    target = escape(url).replace("|", "%7C")
    return f"<{target}|{escape(label).replace('|', '∣')}>" if label else f"<{target}>"


def to_mrkdwn(markdown: str) -> str:
    """Markdown (a knowledge entry's answer) as escaped Slack mrkdwn."""
    return _Blocks().render(_PARSER.parse(markdown))


class _Blocks:
    """Walks the block tokens; each block becomes lines, prefixed by its list or quote."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, str]] = []  # (list depth, text)
        self.lists: list[list[int]] = []  # per open list: [next number], or [] for bullets
        self.prefix: str | None = None  # a list item's marker, for its first line
        self.quote = 0

    def render(self, tokens: Sequence[Token]) -> str:
        for token in tokens:
            self._block(token)
        out = ""
        for depth, text in self.blocks:
            out += ("\n" if depth else "\n\n") + text if out else text
        return out

    def _block(self, token: Token) -> None:
        kind = token.type
        if kind == "bullet_list_open":
            self.lists.append([])
        elif kind == "ordered_list_open":
            self.lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            numbers = self.lists[-1]
            bullet = _BULLETS[min(len(self.lists), len(_BULLETS)) - 1]
            self.prefix = f"{numbers[0]}." if numbers else bullet
            if numbers:
                numbers[0] += 1
        elif kind in ("blockquote_open", "blockquote_close"):
            self.quote += 1 if kind == "blockquote_open" else -1
        elif kind == "inline":
            self._emit(_inline(token.children or []))
        elif kind == "heading_close":
            depth, text = self.blocks.pop()
            self.blocks.append((depth, f"*{text.strip()}*"))
        elif kind in ("fence", "code_block"):
            self.blocks.append((0, f"```\n{escape(token.content)}```"))
        elif kind == "hr":
            self._emit("———")

    def _emit(self, text: str) -> None:
        indent = "    " * max(len(self.lists) - 1, 0)
        lines = text.split("\n")
        if self.prefix is not None:
            lines[0] = f"{indent}{self.prefix} {lines[0]}"
            self.prefix = None
        elif self.lists:
            lines[0] = f"{indent}   {lines[0]}"
        quoted = "> " * self.quote
        self.blocks.append((len(self.lists), "\n".join(quoted + line for line in lines)))


def _inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    label: list[str] | None = None  # collects a link's label
    href = ""
    for child in children:
        target = label if label is not None else out
        kind = child.type
        if kind == "text":
            target.append(escape(child.content))
        elif kind == "code_inline":
            target.append(f"`{escape(child.content)}`")
        elif kind in _INLINE_MARKS:
            target.append(_INLINE_MARKS[kind])
        elif kind == "link_open":
            label, href = [], str(child.attrGet("href") or "")
        elif kind == "link_close" and label is not None:
            out.append(link(href, _unescape("".join(label))))
            label = None
        elif kind == "image":
            alt = child.content or "image"
            src = str(child.attrGet("src") or "")
            target.append(link(src, alt) if "://" in src else escape(alt))
    return "".join(out)


def _unescape(text: str) -> str:
    """A label collected as escaped mrkdwn, back to plain text for ``link``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
