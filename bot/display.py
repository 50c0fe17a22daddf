"""An answer's markdown as chat shows it: tidied the way markdown renders it, and cut to a
readable first part when long. Pure text functions, the same for every platform.

``tidy`` removes a code fence's own indentation (a fence inside a list item would otherwise
indent every line of the block) and joins soft line breaks inside a paragraph or list item,
as markdown renders them. ``excerpt`` keeps whole blocks, or whole sentences of the block that
does not fit, and never cuts inside a code block, a link or inline code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXCERPT_MAX = 900  # characters of a long answer shown in chat; the rest is one link away
EXCERPT_MIN = 600  # a cut tries to keep at least this much
SHOW_WHOLE = 1000  # an answer up to this long is shown whole: cutting it would save little
ELLIPSIS = "…"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>`{3,}|~{3,})")
_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d{1,9}[.)]\s|#{1,6}\s|>|\||```|~~~|[-=_*]{3,}\s*$|<)")
_HEADING = re.compile(r"^\s*#{1,6}\s")
# Spans a cut must not split: links and images, inline code, autolinks, bare URLs, bold.
_ATOMIC = re.compile(
    r"!?\[[^\]\n]*\]\([^)\n]*\)|`[^`\n]*`|<[^>\n]+>|https?://\S+|\*\*[^*\n]+\*\*|__[^_\n]+__"
)
_SENTENCE_END = re.compile(r"[.!?:;](?=\s)")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Excerpt:
    text: str  # markdown to show
    cut: bool  # True: the answer goes on; link to the full answer


def tidy(markdown: str) -> str:
    """Fences without their own indentation; soft line breaks joined; at most one blank line."""
    out: list[str] = []
    fence: tuple[str, int] | None = None  # the open fence's marker and indentation
    joinable = False  # the last line is paragraph text a soft break may continue
    for line in markdown.splitlines():
        opening = _FENCE.match(line)
        if fence is not None:
            marker, indent = fence
            out.append(_dedent(line, indent))
            if (
                opening
                and opening["marker"].startswith(marker)
                and not line[opening.end() :].strip()
            ):
                fence = None
            continue
        if opening is not None:
            fence = (opening["marker"], len(opening["indent"].expandtabs(4)))
            out.append(line.strip())
            joinable = False
            continue
        if not line.strip():
            if out and out[-1]:
                out.append("")
            joinable = False
            continue
        if joinable and not _BLOCK_START.match(line) and not _is_setext_underline(line):
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line.rstrip(" ") if not line.endswith("  ") else line)
        joinable = not _HEADING.match(line) and not _hard_break(line)
    return "\n".join(out).strip("\n")


def _dedent(line: str, indent: int) -> str:
    """Remove up to ``indent`` columns of leading white space (the fence's own)."""
    stripped = line.lstrip(" \t")
    leading = len(line) - len(stripped)
    return line[min(leading, indent) :]


def _hard_break(line: str) -> bool:
    return line.endswith(("  ", "\\"))


def _is_setext_underline(line: str) -> bool:
    return bool(re.fullmatch(r"\s*(=+|-+)\s*", line))


def excerpt(
    markdown: str,
    *,
    limit: int = EXCERPT_MAX,
    minimum: int = EXCERPT_MIN,
    whole: int = SHOW_WHOLE,
) -> Excerpt:
    """The first part of a tidied answer: whole blocks, then whole sentences, at most ``limit``."""
    text = markdown.strip()
    if len(text) <= max(whole, limit):
        return Excerpt(text, cut=False)
    shown = ""
    for separator, block in _blocks(text):
        joined = f"{shown}{separator if shown else ''}{block}"
        if len(joined) <= limit:
            shown = joined
            continue
        room = limit - len(shown) - len(separator) - len(ELLIPSIS) - 1
        if block.startswith(("```", "~~~")):
            if not shown:  # the answer opens with a long code block: show its first lines
                shown = _shortened_code(block, room)
        elif len(shown) < minimum:
            part = _cut_text(block, room)
            if part:
                shown = f"{shown}{separator if shown else ''}{part} {ELLIPSIS}"
        break
    if not shown:  # nothing fits whole: one long line without a place to cut
        shown = _cut_text(text, limit - len(ELLIPSIS) - 1, anywhere=True) + f" {ELLIPSIS}"
    return Excerpt(shown.rstrip(), cut=True)


def _blocks(text: str) -> list[tuple[str, str]]:
    """(separator before it, block): code fences whole, every other line on its own."""
    blocks: list[tuple[str, str]] = []
    separator = ""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            separator = "\n\n"
            i += 1
            continue
        opening = _FENCE.match(line)
        end = i + 1
        if opening is not None:
            while end < len(lines) and not lines[end].strip().startswith(opening["marker"]):
                end += 1
            end = min(end + 1, len(lines))
        blocks.append((separator or "\n", "\n".join(lines[i:end])))
        separator = ""
        i = end
    return blocks


def _shortened_code(block: str, room: int) -> str:
    """The first lines of a code block that fit, closed again, marked as shortened."""
    lines = block.split("\n")
    closing = "```" if lines[0].startswith("`") else "~~~"
    kept = [lines[0]]
    for line in lines[1:-1]:
        if len("\n".join([*kept, line, closing])) > room:
            break
        kept.append(line)
    return "\n".join([*kept, closing, ELLIPSIS])


def _cut_text(block: str, room: int, *, anywhere: bool = False) -> str:
    """The longest prefix ending at a sentence (or else a word) outside links and code."""
    if room <= 0:
        return ""
    atomic = [m.span() for m in _ATOMIC.finditer(block)]

    def outside(position: int) -> bool:
        return all(not start < position < end for start, end in atomic)

    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(block) if m.end() <= room]
    sentence_ends = [end for end in sentence_ends if outside(end)]
    if sentence_ends and sentence_ends[-1] > room // 3:
        return block[: sentence_ends[-1]]
    word_ends = [m.start() for m in _SPACE.finditer(block) if m.start() <= room]
    word_ends = [end for end in word_ends if outside(end)]
    if word_ends and (anywhere or word_ends[-1] > room // 3):
        return block[: word_ends[-1]].rstrip(" ,;:-")
    return block[:room] if anywhere else ""


def clip(text: str, limit: int) -> str:
    """One line within ``limit`` characters, cut at a word with an ellipsis when too long."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + ELLIPSIS
