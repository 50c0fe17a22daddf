"""Pure rendering of the core's results into Slack Block Kit (text fallback plus blocks).

Knowledge and user text is escaped (``&``, ``<``, ``>``) before any markup is added, so nothing
in it can ping ``<!channel>`` or a user. Slack's limits are enforced here, nowhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.models import Answer, Candidate, Entry, NoAnswer

SECTION_LIMIT = 3000  # characters of a section's text
HEADER_LIMIT = 150  # characters of a header block's plain text
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BLOCK_LIMIT = 50
FALLBACK_LIMIT = 3000  # the top-level `text`, shown in notifications

VOTE_UP = "qabot_vote_up"
VOTE_DOWN = "qabot_vote_down"
NOT_THIS = "qabot_not_this"
PICK = "qabot_pick"  # suffixed with the button's position: action ids must be unique per block

USAGE = (
    "Ask me a question about the course, e.g. `/ask how do I get the recording?`, "
    "or mention me with your question. `/tip` shows a random tip."
)
APOLOGY = "Sorry, something went wrong on my side while answering. Please try again in a minute."

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """What to send: a plain-text fallback (notifications, screen readers) and the blocks."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Escape Slack's three control characters so text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of incoming message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- Markdown to mrkdwn -------------------------------------------------------------------

_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.DOTALL)
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
_BOLD_MARK = "\x00"  # stands in for Slack's bold `*` while single `*italic*` is converted


def to_mrkdwn(markdown: str) -> str:
    """Convert the Markdown of a knowledge entry into escaped Slack mrkdwn."""
    out: list[str] = []
    last = 0
    for code in _CODE.finditer(markdown):
        out.append(_inline(markdown[last : code.start()]))
        out.append(_code(code.group(0)))
        last = code.end()
    out.append(_inline(markdown[last:]))
    return "".join(out).strip()


def _code(span: str) -> str:
    if span.startswith("```"):
        body = span[3:].removesuffix("```")
        first, newline, rest = body.partition("\n")
        if newline and re.fullmatch(r"[\w+.-]*", first.strip()):  # drop the language tag
            body = rest
        return "```" + escape(body.rstrip("\n")) + "```"
    return escape(span)


def _inline(text: str) -> str:
    text = escape(text)
    text = _HEADING.sub(lambda m: f"{_BOLD_MARK}{m.group(1)}{_BOLD_MARK}", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(1) or m.group(2)}{_BOLD_MARK}", text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _LINK.sub(lambda m: link(m.group(2), m.group(1), escaped=True), text)
    return text.replace(_BOLD_MARK, "*")


def link(url: str, label: str, *, escaped: bool = False) -> str:
    """A mrkdwn link; ``escaped`` says the label and URL are escaped already."""
    if not escaped:
        url, label = escape(url), escape(label)
    return f"<{url.replace('|', '%7C')}|{label.replace('|', '∣')}>"


# --- Cutting to Slack's limits ------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
_WORD_END = re.compile(r"\s+")


def fit_markdown(markdown: str, limit: int, more_url: str | None) -> str:
    """Convert to mrkdwn within ``limit`` characters, cutting at a sentence if it is too long.

    A cut answer ends with "…" and a "Read the full answer" link when there is a URL.
    """
    whole = to_mrkdwn(markdown)
    if len(whole) <= limit:
        return whole
    suffix = "…" + (f"\n{link(more_url, 'Read the full answer')}" if more_url else "")
    room = limit - len(suffix)
    for boundary in (_SENTENCE_END, _WORD_END):
        cut = _longest_prefix(markdown, boundary, room)
        if cut:
            return cut + suffix
    return whole[: max(room, 0)].rsplit("&", 1)[0] + suffix  # never leave half an entity


def _longest_prefix(markdown: str, boundary: re.Pattern[str], room: int) -> str:
    best = ""
    for match in boundary.finditer(markdown):
        prefix = markdown[: match.start()]
        if prefix.count("```") % 2:  # close a code block cut in the middle
            prefix += "\n```"
        rendered = to_mrkdwn(prefix)
        if len(rendered) > room:
            break
        best = rendered
    return best


def plain(text: str, limit: int) -> str:
    """Escaped single-line plain text within ``limit`` characters (headers, buttons)."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Blocks -------------------------------------------------------------------------------


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": plain(text, HEADER_LIMIT)}}


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(mrkdwn, SECTION_LIMIT)}}


def _context(*mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in mrkdwn if t]}


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(text, BUTTON_TEXT_LIMIT), "emoji": True},
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_LIMIT],
    }
    if style:
        button["style"] = style
    return button


def _message(fallback: str, blocks: list[Block]) -> Message:
    return Message(_clip(fallback, FALLBACK_LIMIT), blocks[:BLOCK_LIMIT])


def source_line(entry: Entry) -> str:
    """Context line: the source title linked to the entry, and its date when known."""
    parts = [f"Source: {link(entry.source_url, entry.source_title)}"]
    if entry.date and entry.date not in entry.source_title:
        parts.append(escape(entry.date))
    if entry.recording_url:
        parts.append(link(entry.recording_url, "recording"))
    return " · ".join(parts)


def encode_value(**fields: Any) -> str:
    """Button value: compact JSON, with a long question shortened to fit Slack's limit."""
    question = fields.get("q")
    if isinstance(question, str):
        fields["q"] = question[:500]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def decode_value(value: str) -> dict[str, Any]:
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError(f"unexpected button value {value!r}")
    return data


def render_answer(answer: Answer, log_id: int | None, *, asker: str | None = None) -> Message:
    """An answer: header, mrkdwn body (cut to fit), source line and the feedback buttons."""
    entry = answer.entry
    blocks = [
        _header(entry.question),
        _section(fit_markdown(entry.answer, SECTION_LIMIT, entry.source_url)),
        _context(source_line(entry)),
    ]
    if asker:
        blocks.insert(0, _context(f"<@{escape(asker)}> asked: _{plain(answer.question, 200)}_"))
    blocks.append(_feedback(answer, log_id))
    return _message(escape(f"{entry.question}\n{entry.answer}"), blocks)


def _feedback(answer: Answer, log_id: int | None) -> Block:
    alternatives = [c.entry.id for c in answer.runners_up]
    elements = []
    if log_id is not None:  # without a log row there is nothing to attach a vote to
        elements += [
            _button("👍", VOTE_UP, encode_value(l=log_id)),
            _button("👎", VOTE_DOWN, encode_value(l=log_id)),
        ]
    elements.append(
        _button(
            "Not what I asked",
            NOT_THIS,
            encode_value(l=log_id, q=answer.question, alt=alternatives),
        )
    )
    return {"type": "actions", "block_id": "qabot_feedback", "elements": elements}


def render_choices(intro: str, question: str, candidates: Sequence[Candidate]) -> Message:
    """An honest "not sure" plus up to three entries to pick from, as buttons."""
    blocks = [_section(intro)]
    if candidates:
        blocks.append(
            {
                "type": "actions",
                "block_id": "qabot_choices",
                "elements": [
                    _button(c.entry.question, f"{PICK}_{i}", encode_value(e=c.entry.id, q=question))
                    for i, c in enumerate(candidates[:5])
                ],
            }
        )
    return _message(intro, blocks)


def render_no_answer(result: NoAnswer) -> Message:
    """No confident match: say so, and offer the suggestions as buttons."""
    question = plain(result.question, 200)
    if result.suggestions:
        intro = f"I couldn't find a confident answer to _{question}_. Did you mean one of these?"
    else:
        intro = (
            f"I couldn't find an answer to _{question}_. "
            "Try other words, or ask the instructors in the course channel."
        )
    return render_choices(intro, result.question, result.suggestions)


def render_runners_up(question: str, candidates: Sequence[Candidate]) -> Message:
    """After "Not what I asked": the other close entries, as buttons."""
    if not candidates:
        return render_text(
            "I have nothing else close to that question. Try asking with other words, "
            "or ask the instructors in the course channel."
        )
    return render_choices("Maybe one of these is what you meant?", question, candidates)


def render_tip(entry: Entry, *, weekly: bool = False) -> Message:
    """A tip: a knowledge entry introduced as the tip of the week, or as a random tip."""
    title = "💡 Tip of the week" if weekly else "💡 Tip"
    blocks = [
        _section(f"*{title}:* *{plain(entry.question, 300)}*"),
        _section(fit_markdown(entry.answer, SECTION_LIMIT, entry.source_url)),
        _context(source_line(entry)),
    ]
    return _message(f"{title}: {escape(entry.question)}", blocks)


def render_text(text: str) -> Message:
    """A short message of our own (usage help, thanks, apology); not escaped: it is ours."""
    return _message(text, [_section(text)])


def render_usage() -> Message:
    return render_text(USAGE)


def render_apology() -> Message:
    return render_text(APOLOGY)
