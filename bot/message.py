"""A chat message split into what the matcher should weigh: prose, its questions, pasted errors.

Members paste logs, configs and code around their question, and ask several things at once.
Pasted blocks are not words an entry must cover; an error line in them is what identifies the
problem; and each question in a message deserves to be judged on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import content_words

MAX_QUESTIONS = 3  # questions of one message matched on their own
MAX_ERRORS = 2  # error lines matched on their own
MAX_ERROR_CHARS = 200

_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]{1,200})`")
# An error as tools print it: "ModuleNotFoundError: ...", "docker: Error response ...",
# "ERROR: ...", "fatal: ...", "E: Unable to locate package", "... Permission denied".
_ERROR = re.compile(
    r"\b(?:\w*(?:Error|Exception)\b|error\b|ERROR\b|FATAL\b|fatal:|failed\b|FAILED\b|E:\s)"
    r"|permission denied|not found|no such file|cannot |can't |could not |unable to ",
    re.IGNORECASE,
)
_TRACE_NOISE = re.compile(
    r'^\s*(?:File "|at [\w.$]+\(|Traceback \(most recent call last\)|\^+\s*$|~+\s*$|\.\.\.)'
)
_TIMESTAMP = re.compile(r"^\s*\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
_CODE_CHARS = re.compile(r"[{}()\[\];=<>$|\\/_#:\"']")
_WORD = re.compile(r"[A-Za-z]{2,}")
_YAML_KEY = re.compile(r"^\s*-?\s*[\w.-]+:\s*$|^\s*-\s+\S+=\S*$")
# Where an error begins inside a line of prose: "fails with: Error response from daemon ..."
_ERROR_START = re.compile(
    r"\b[\w.]*(?:Error|Exception)\b:?|\b(?:error|fatal|ERROR|FATAL):|Error response"
)
# Words that make a sentence a plea rather than a question of its own: "any idea?", "help?"
_FILLER = frozenset(
    "idea ideas help fix solve wrong happening work works working going suggestion "
    "suggestions thought thoughts issue problem tip tips advice else".split()
)
_SENTENCE = re.compile(r"(?<=[?!.])\s+|\n+")


@dataclass(frozen=True, slots=True)
class Message:
    """``prose``: the message without pasted blocks; ``questions``: its question sentences
    when it asks more than one; ``errors``: error lines from pasted text, most telling first."""

    prose: str
    questions: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def queries(self) -> tuple[str, ...]:
        """Every text to match, the whole prose first; duplicates removed."""
        texts = [self.prose, *self.questions, *self.errors]
        return tuple(dict.fromkeys(t for t in texts if t.strip()))


def parse_message(text: str) -> Message:
    """Split a cleaned chat message (mentions and greetings already removed)."""
    pasted: list[str] = []

    def keep_fenced(match: re.Match[str]) -> str:
        pasted.append(match.group(0).strip("`"))
        return "\n"

    unfenced = _FENCE.sub(keep_fenced, text)
    prose_lines = []
    for line in unfenced.splitlines():
        if _looks_pasted(line):
            pasted.append(line)
        else:
            prose_lines.append(line)
    prose = "\n".join(prose_lines).strip()
    errors = _error_lines("\n".join(pasted)) + _errors_in_prose(prose)
    if not prose and not errors:  # all of it looked pasted: match it whole
        return Message(_INLINE_CODE.sub(r"\1", text).strip())
    # A short error quoted in the prose (`No module named 'x'`) is an error line too.
    quoted = [m.group(1) for m in _INLINE_CODE.finditer(prose) if _ERROR.search(m.group(1))]
    errors = tuple(dict.fromkeys([*errors, *quoted]))[:MAX_ERRORS]
    prose = _INLINE_CODE.sub(r"\1", prose)
    if not prose:
        prose = errors[0]
    return Message(prose, _questions(prose), errors)


def _looks_pasted(line: str) -> bool:
    """A log, traceback or code line pasted without a fence (prose lines are kept)."""
    stripped = line.strip()
    if not stripped:
        return False
    if _TRACE_NOISE.match(line) or _TIMESTAMP.match(line):
        return True
    words = len(_WORD.findall(stripped))
    symbols = len(_CODE_CHARS.findall(stripped))
    indented = line.startswith(("  ", "\t"))
    return (
        bool(_YAML_KEY.match(line))
        or (indented and symbols >= 1 and words <= 4)
        or (symbols >= 4 and symbols > words)
    )


def _error_lines(pasted: str) -> tuple[str, ...]:
    """Lines of pasted text that state an error; the last of a traceback says the most."""
    found = []
    for line in pasted.splitlines():
        stripped = line.strip()
        if stripped and _ERROR.search(stripped) and not _TRACE_NOISE.match(line):
            found.append(stripped[:MAX_ERROR_CHARS])
    found.reverse()  # a traceback ends with its exception
    return tuple(dict.fromkeys(found))[:MAX_ERRORS]


def _errors_in_prose(prose: str) -> tuple[str, ...]:
    """An error quoted in a sentence, from where it starts to the end of its line."""
    found = []
    for line in prose.splitlines():
        match = _ERROR_START.search(line)
        if match and len(_WORD.findall(line[match.start() :])) >= 3:
            found.append(line[match.start() :].strip()[:MAX_ERROR_CHARS])
    return tuple(found)


def _questions(prose: str) -> tuple[str, ...]:
    """The question sentences of a message that asks more than one thing (or asks one thing
    among other sentences); empty when the prose is a single question."""
    sentences = [s.strip() for s in _SENTENCE.split(prose) if s and s.strip()]
    asked = [s for s in sentences if s.endswith("?") and _asks_something(s)]
    if len(sentences) <= 1 or not asked:
        return ()
    return tuple(asked[:MAX_QUESTIONS])


def _asks_something(sentence: str) -> bool:
    words = [w for w in content_words(sentence) if w not in _FILLER]
    return len(words) >= 1 and len(_WORD.findall(sentence)) >= 2
