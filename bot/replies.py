"""Replies, decided once for every platform: what to say, to whom, and what to offer.

The rules: an answer is public and shows a first part of the text with a link to the rest;
its runners-up wait behind "Not what I asked". A miss (no confident answer) and usage help
go only to the asker, with suggestions to pick from, or else a plain word on what the bot
can answer. Every sentence the bot says is written here. Adapters translate a ``Reply`` into
Block Kit or an embed and decide nothing.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.display import clip, excerpt, tidy
from bot.errors import DeliveryFailed
from bot.knowledge import KnowledgeBase
from bot.models import Answer, Entry, MentorOutcome, NoAnswerReason, Result

log = logging.getLogger(__name__)

# --- wording -----------------------------------------------------------------------------

SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
THANKS = "Thanks for the feedback!"
VOTE_NOT_SAVED = "Sorry, I couldn't record your vote right now. Please try again in a moment."
GONE = "That answer is no longer in the knowledge base. Try `/ask` with your question."
OTHERS = "Other answers that might fit. Pick one to post it:"
THANKS_PICK = "Thanks for the feedback! If one of these is what you asked, pick it to post it:"
NO_OTHERS = (
    "I have no other close matches for that question. Try `/ask` with different words, "
    "or ask in the channel."
)
SOURCE = "Source"
RECORDING = "Recording"
READ_MORE = "Read the full answer"
TIP = "💡 Tip"
TIP_OF_THE_WEEK = "💡 Tip of the week"
QUESTION_SHOWN = 200  # characters of a member's question quoted back to them
ASK_MENTOR = "Ask a mentor"
QUOTED_FOR_MENTORS = 1000
MENTORS_NOTIFIED = "I've sent your question to the mentors, with a link to this conversation."
MENTORS_NOTIFIED_THREAD = "🙋 The mentors were notified of this question and will reply here."
MENTORS_ALREADY = "The mentors already have this question, with a link to this conversation."
MENTOR_NOT_ASKER = (
    "Only the member who asked can send this question to the mentors. "
    "Ask your own with `/ask`, and the button will be there for you."
)
MENTOR_FAILED = "Sorry, I couldn't reach the mentors just now. Please try again in a minute."
TOPICS_LISTED = 4


def usage(bot_name: str | None = None) -> str:
    mention = f"`@{bot_name} where are the slides?`" if bot_name else "mention me with a question"
    return (
        "Ask me a question about the course, for example `/ask how do I get the recording?`, "
        f"or {mention}. `/tip` shows a random tip."
    )


def slow_down(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return (
        f"You're asking faster than I can keep up. Give me {seconds} {unit} and ask again, "
        "or use `/ask`."
    )


def miss(question: str, *, suggestions: bool, topics: str) -> str:
    quoted = f"“{clip(question, QUESTION_SHOWN)}”"
    if suggestions:
        return f"I couldn't find a confident answer to {quoted}. Did you mean one of these?"
    return (
        f"I couldn't find an answer to {quoted}. I answer questions about {topics}. "
        "Try `/ask` with other words, or ask in the channel."
    )


def mentors_limited(limit: int) -> str:
    times = "once" if limit == 1 else f"{limit} times"
    return (
        f"You can ask the mentors {times} an hour, and you've reached that. "
        "Please try again later, or ask in the channel."
    )


# --- what a reply is ---------------------------------------------------------------------

# A suggestion picked after a miss, or another entry picked instead of the answer given.
PickKind = Literal["suggestion", "correction"]


class Kind(enum.Enum):
    ANSWER = "answer"  # an entry answering the member: votes and "Not what I asked"
    TIP = "tip"  # an entry shown as a tip
    NOTE = "note"  # a sentence of ours, perhaps with entries to pick from


@dataclass(frozen=True, slots=True)
class Source:
    label: str  # "Webinar 7: Shipping (March 3, 2026)" or "Course › Section · date"
    url: str  # the entry's deep link (a file:// link in a local checkout)
    recording_url: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """An entry offered to pick: its question labelled with where it comes from."""

    entry_id: str
    question: str
    source: str  # "Course › Section" or the webinar's title

    def label(self, limit: int) -> str:
        """``question · source`` in ``limit`` characters, the source kept readable."""
        question = " ".join(self.question.split())
        source = clip(self.source, max(limit // 3, limit - len(question) - 3))
        room = limit - len(source) - 3
        if room < 12:  # too short for both: the question alone
            return clip(question, limit)
        return f"{clip(question, room)} · {source}"


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send, for any platform."""

    kind: Kind
    text: str  # markdown: an entry's first part (or whole), or our own sentence
    private: bool = False  # only the asker sees it
    title: str | None = None  # the entry's question (answers and tips)
    heading: str | None = None  # a tip's "💡 Tip of the week"
    source: Source | None = None
    full_answer_url: str | None = None  # set when ``text`` is only the first part
    choices: tuple[Choice, ...] = ()  # entries to pick from
    others: tuple[Choice, ...] = ()  # an answer's runners-up, behind "Not what I asked"
    log_id: int | None = None  # an answer's log row, for votes; a miss's, for its picks
    question: str = ""  # what the member asked
    picks_are: PickKind = "suggestion"  # what picking one of ``choices`` is recorded as
    mentor_log_id: int | None = None  # a miss's log row: offer "Ask a mentor" for it


# --- deciding ----------------------------------------------------------------------------


def reply_to(
    result: Result,
    log_id: int | None,
    knowledge: KnowledgeBase,
    *,
    bot_name: str | None = None,
    mentors: bool = False,
) -> Reply:
    """The reply to a member's question: an answer, a miss, or usage help.

    ``mentors`` (a mentor channel is set): a miss offers "Ask a mentor" to the asker.
    """
    if isinstance(result, Answer):
        return _entry_reply(
            Kind.ANSWER,
            result.entry,
            result.text,
            others=tuple(choice(c.entry) for c in result.runners_up),
            log_id=log_id,
            question=result.question,
        )
    if result.reason is NoAnswerReason.EMPTY:
        return note(usage(bot_name))
    suggestions = tuple(choice(c.entry) for c in result.suggestions)
    text = miss(result.question, suggestions=bool(suggestions), topics=topics(knowledge))
    return Reply(
        Kind.NOTE,
        text,
        private=True,
        choices=suggestions,
        log_id=log_id,
        question=result.question,
        mentor_log_id=log_id if mentors else None,
    )


def tip(entry: Entry, *, weekly: bool = False) -> Reply:
    heading = TIP_OF_THE_WEEK if weekly else TIP
    return _entry_reply(Kind.TIP, entry, entry.answer, heading=heading)


def others(question: str, entries: Iterable[Entry], log_id: int | None = None) -> Reply:
    """After "Not what I asked": the runners-up to pick from, for the clicker only; a pick
    is a correction of the answer logged as ``log_id``."""
    choices = tuple(choice(entry) for entry in entries)
    return Reply(
        Kind.NOTE,
        OTHERS if choices else NO_OTHERS,
        True,
        choices=choices,
        log_id=log_id,
        question=question,
        picks_are="correction",
    )


def after_vote(
    vote: str, stored: bool, question: str, others: Iterable[Entry], log_id: int | None
) -> Reply:
    """What a voter sees: thanks; after a 👎, the runners-up too, so a pick corrects the
    answer (and proposes the member's wording for the entry they pick)."""
    if not stored:
        return note(VOTE_NOT_SAVED)
    choices = tuple(choice(entry) for entry in others) if vote == "down" else ()
    if not choices:
        return note(THANKS)
    return Reply(
        Kind.NOTE,
        THANKS_PICK,
        True,
        choices=choices,
        log_id=log_id,
        question=question,
        picks_are="correction",
    )


def pick_kind(value: object) -> PickKind:
    """What a pick button says it is; buttons drawn before picks were told apart say nothing
    and were suggestions or corrections alike, recorded as suggestions."""
    return "correction" if value == "correction" else "suggestion"


def note(text: str) -> Reply:
    """A sentence of ours for the asker only (thanks, usage, "no longer available")."""
    return Reply(Kind.NOTE, text, private=True)


def mentor_reply(outcome: MentorOutcome, limit: int, *, thread: bool = False) -> Reply:
    """What the member who pressed "Ask a mentor" is told: only them, except that a question
    sent from a thread is announced in that thread, where the mentors will answer."""
    if outcome is MentorOutcome.NOTIFIED and thread:
        return Reply(Kind.NOTE, MENTORS_NOTIFIED_THREAD, private=False)
    texts = {
        MentorOutcome.NOTIFIED: MENTORS_NOTIFIED,
        MentorOutcome.ALREADY: MENTORS_ALREADY,
        MentorOutcome.LIMITED: mentors_limited(limit),
        MentorOutcome.NOT_ASKER: MENTOR_NOT_ASKER,
        MentorOutcome.FAILED: MENTOR_FAILED,
    }
    return note(texts[outcome])


def mentor_notice(question: str, link: str | None) -> Reply:
    """The message the mentor channel gets: the question and where to answer it; no ping."""
    quoted = clip(question, QUOTED_FOR_MENTORS)
    where = f"\n[Open the conversation]({link})" if link else ""
    text = f"🙋 A member asked a question I couldn't answer: “{quoted}”{where}"
    return Reply(Kind.NOTE, text, private=False)


def _entry_reply(
    kind: Kind,
    entry: Entry,
    text: str,
    *,
    heading: str | None = None,
    others: tuple[Choice, ...] = (),
    log_id: int | None = None,
    question: str = "",
) -> Reply:
    """An entry shown: the first part of ``text`` (or all of it), its source and title."""
    part = excerpt(tidy(text))
    return Reply(
        kind,
        part.text,
        title=entry.question,
        heading=heading,
        source=Source(source_label(entry), entry.source_url, entry.recording_url),
        full_answer_url=entry.source_url if part.cut else None,
        others=others,
        log_id=log_id,
        question=question,
    )


def as_text(reply: Reply) -> str:
    """A reply as plain markdown: what a platform without a layout of its own would show
    (``qabot tips preview`` uses it for such a platform)."""
    lines = []
    if reply.heading:
        lines.append(f"{reply.heading}: {reply.title or ''}")
    elif reply.title:
        lines.append(reply.title)
    lines.append(reply.text)
    if reply.full_answer_url:
        lines.append(f"[{READ_MORE}]({reply.full_answer_url})")
    if reply.source is not None:
        source = f"{SOURCE}: [{reply.source.label}]({reply.source.url})"
        if reply.source.recording_url:
            source += f" · [{RECORDING}]({reply.source.recording_url})"
        lines.append(source)
    lines += [f"- {c.question} · {c.source}" for c in reply.choices]
    return "\n".join(lines)


def source_label(entry: Entry) -> str:
    """The source as a source line reads: its title, and the date when the title lacks it."""
    if entry.date and entry.date not in entry.source_title:
        return f"{entry.source_title} · {entry.date}"
    return entry.source_title


def short_source(entry: Entry) -> str:
    """Where an entry comes from, briefly: "Course › Section", or the webinar's title."""
    if entry.date:
        return entry.source_title.removesuffix(f" ({entry.date})")
    return entry.source_title


def choice(entry: Entry) -> Choice:
    return Choice(entry.id, entry.question, short_source(entry))


def topics(knowledge: KnowledgeBase) -> str:
    """What the knowledge covers: its webinars' titles and its courses' names."""
    names = list(dict.fromkeys(short_source(e).split(" › ")[0] for e in knowledge.entries))
    if not names:
        return "the course"
    shown, rest = names[:TOPICS_LISTED], len(names) - TOPICS_LISTED
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    return " and ".join([", ".join(shown[:-1]), shown[-1]]) if len(shown) > 1 else shown[0]


# --- answering or apologising --------------------------------------------------------------


@contextlib.asynccontextmanager
async def answer_or_apologise(
    what: str, apologise: Callable[[], Awaitable[object]]
) -> AsyncIterator[None]:
    """Run a handler; on an error, log it and tell the member politely (never a traceback).

    A reply the platform did not take (``DeliveryFailed``) gets no apology: it would fail too,
    or contradict an answer that went out late. The adapter gives the event's claim back.
    """
    try:
        yield
    except DeliveryFailed as exc:
        log.warning("%s: the reply was not delivered: %s", what, exc)
    except Exception:
        log.exception("%s failed", what)
        try:
            await apologise()
        except Exception:
            log.warning("could not tell the member about the error", exc_info=True)
