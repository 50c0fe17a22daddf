"""The knowledge formats, in the order they are tried: the first that accepts a file parses it.

Adding a format (a CSV export, say) is one module that defines a ``Format``, and one line here.
"""

from __future__ import annotations

from bot.knowledge.formats import faq, webinar
from bot.knowledge.formats.base import Format, ParseContext

FORMATS: tuple[Format, ...] = (
    faq.FORMAT,  # front matter first: a webinar page has none
    webinar.FORMAT,
)

SUFFIXES = tuple(sorted({suffix for f in FORMATS for suffix in f.suffixes}))


def format_for(path: str, text: str) -> Format | None:
    return next((f for f in FORMATS if f.accepts(path, text)), None)


def format_named(name: str) -> Format | None:
    return next((f for f in FORMATS if f.name == name), None)


__all__ = ["FORMATS", "SUFFIXES", "Format", "ParseContext", "format_for", "format_named"]
