"""Which entries are worth posting as a weekly tip, read by someone who did not ask.

An entry makes a tip unless it is
- error troubleshooting: its question quotes an error (``ModuleNotFoundError``, "Error 400",
  "permission denied", a traceback), useful only to whoever hits that error;
- mostly code: 40 % or more of the answer is code blocks or inline code;
- only links: fewer than 8 words outside its links and code;
- shorter than a real answer: under 200 characters of prose.

Whether a source gives tips at all is its own setting (``tips=on|off`` in its spec; by default
webinar pages do and course-FAQ files don't). ``tips.txt`` pins entries whatever this says.
"""

from __future__ import annotations

import re

from bot.models import Entry

MIN_PROSE_CHARS = 200
MIN_WORDS_OUTSIDE_LINKS = 8
MAX_CODE_SHARE = 0.4

_ERROR_WORDS = re.compile(
    r"\b(?:errors?|exceptions?|traceback|errno|fatal|segfault|failed to|permission denied|"
    r"no module named|not found|exit code|status code|bad request|timed out|"
    r"connection refused)\b",
    re.IGNORECASE,
)
_ERROR_NAME = re.compile(r"[a-z0-9](?:Error|Exception)\b")  # ValueError, ModuleNotFoundError
_FENCED = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[^\W_]+")


def tip_verdict(entry: Entry) -> str | None:
    """Why ``entry`` does not make a tip, or None when it does."""
    if _ERROR_WORDS.search(entry.question) or _ERROR_NAME.search(entry.question):
        return "error troubleshooting"
    answer = entry.answer
    without_code = _INLINE_CODE.sub(" ", _FENCED.sub(" ", answer))
    if len(answer) - len(without_code) >= MAX_CODE_SHARE * max(1, len(answer)):
        return "mostly code"
    without_images = _IMAGE.sub(" ", without_code)
    outside_links = _URL.sub(" ", _LINK.sub(" ", without_images))
    if len(_WORD.findall(outside_links)) < MIN_WORDS_OUTSIDE_LINKS:
        return "only links"
    prose = " ".join(_URL.sub(" ", _LINK.sub(r"\1", without_images)).split())
    if len(prose) < MIN_PROSE_CHARS:
        return "too short"
    return None


def makes_a_tip(entry: Entry) -> bool:
    return tip_verdict(entry) is None
