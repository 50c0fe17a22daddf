"""The core's ``Reply`` as Slack Block Kit: a plain-text fallback plus blocks, within limits.

What to say is decided in ``bot.replies``; this module only lays it out. Text is escaped
(``&``, ``<``, ``>``) before markup is added, so nothing can ping ``<!channel>`` or a user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.slack.mrkdwn import escape, link, to_mrkdwn
from bot.display import clip
from bot.replies import ASK_MENTOR as ASK_MENTOR_LABEL
from bot.replies import READ_MORE, RECORDING, SOURCE, Choice, Kind, Reply

SECTION_LIMIT = 3000  # characters of a section's text
HEADER_LIMIT = 150  # characters of a header block's plain text
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BLOCK_LIMIT = 50
FALLBACK_LIMIT = 3000  # the top-level `text`, shown in notifications
CHOICES_SHOWN = 5

VOTE_UP = "qabot_vote_up"
VOTE_DOWN = "qabot_vote_down"
NOT_THIS = "qabot_not_this"
ASK_MENTOR = "qabot_ask_mentor"
PICK = "qabot_pick"  # suffixed with the button's position: action ids must be unique per block

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """What to send: a plain-text fallback (notifications, screen readers) and the blocks."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def unescape(text: str) -> str:
    """Undo Slack's escaping of incoming message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render(reply: Reply, *, asker: str | None = None) -> Message:
    """Lay out a reply; ``asker`` (a public /ask answer) names who asked above it."""
    if reply.kind is Kind.NOTE:
        return _note(reply)
    body = to_mrkdwn(reply.text)
    if reply.full_answer_url:
        body += f"\n{link(reply.full_answer_url, READ_MORE)}"
    blocks = [_section(body), _context(source_line(reply))]
    if reply.kind is Kind.TIP:
        heading = f"*{escape(reply.heading or '')}:* *{escape(clip(reply.title or '', 300))}*"
        return _message(f"{reply.heading}: {reply.title}", [_section(heading), *blocks])
    blocks.insert(0, _header(reply.title or ""))
    if asker:
        quoted = escape(clip(reply.question, 200))
        blocks.insert(0, _context(f"<@{escape(asker)}> asked: _{quoted}_"))
    blocks.append(_feedback(reply))
    return _message(f"{reply.title}\n{reply.text}", blocks)


def source_line(reply: Reply) -> str:
    """Context line: the source linked to the entry, and its recording."""
    if reply.source is None:
        return ""
    parts = [f"{SOURCE}: {link(reply.source.url, reply.source.label)}"]
    if reply.source.recording_url:
        parts.append(link(reply.source.recording_url, RECORDING))
    return " · ".join(parts)


def _note(reply: Reply) -> Message:
    blocks = [_section(to_mrkdwn(reply.text))]
    if reply.choices:
        buttons = [
            _button(c.label(BUTTON_TEXT_LIMIT), f"{PICK}_{i}", _pick_value(c, reply))
            for i, c in enumerate(reply.choices[:CHOICES_SHOWN])
        ]
        blocks.append({"type": "actions", "block_id": "qabot_choices", "elements": buttons})
    if reply.mentor_log_id is not None:
        value = encode_value(l=reply.mentor_log_id)
        mentor = _button(ASK_MENTOR_LABEL, ASK_MENTOR, value)
        blocks.append({"type": "actions", "block_id": "qabot_mentor", "elements": [mentor]})
    return _message(reply.text, blocks)


def _pick_value(choice: Choice, reply: Reply) -> str:
    return encode_value(e=choice.entry_id, q=reply.question, l=reply.log_id, v=reply.picks_are)


def _feedback(reply: Reply) -> Block:
    elements = []
    alternatives = [c.entry_id for c in reply.others]
    value = encode_value(l=reply.log_id, q=reply.question, alt=alternatives)
    if reply.log_id is not None:  # without a log row there is nothing to attach a vote to
        elements += [
            _button("👍", VOTE_UP, encode_value(l=reply.log_id)),
            _button("👎", VOTE_DOWN, value),  # a 👎 offers the runners-up to pick instead
        ]
    elements.append(_button("Not what I asked", NOT_THIS, value))
    return {"type": "actions", "block_id": "qabot_feedback", "elements": elements}


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


# --- blocks within Slack's limits ---------------------------------------------------------


def _header(text: str) -> Block:
    plain = escape(clip(text, HEADER_LIMIT))
    return {"type": "header", "text": {"type": "plain_text", "text": plain}}


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(mrkdwn, SECTION_LIMIT)}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn or " "}]}


def _button(text: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "text": {
            "type": "plain_text",
            "text": escape(clip(text, BUTTON_TEXT_LIMIT)),
            "emoji": True,
        },
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_LIMIT],
    }


def _message(fallback: str, blocks: list[Block]) -> Message:
    return Message(_fit(escape(fallback), FALLBACK_LIMIT), blocks[:BLOCK_LIMIT])


def _fit(text: str, limit: int) -> str:
    """A last guard (the core's excerpt keeps answers far below it); never half an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut + "…"
