"""``qabot report``: what members asked, how well the bot answered, and what to write next.

The figures are aggregated by the database (``bot.store.report_queries``); the few thousand
distinct unanswered wordings are grouped by meaning here (``grouping``), and the markdown form
is a ``## Q&A`` section of drafts (``bot.drafts``) ready to paste into a knowledge file.
"""

from __future__ import annotations

from bot.report.build import build_report, meaning_clusters, question_vectors
from bot.report.grouping import group_questions
from bot.report.model import (
    DayCount,
    EntryCount,
    FlaggedAnswer,
    Limits,
    QuestionGroup,
    Report,
    parse_since,
)
from bot.report.render import Format, render

__all__ = [
    "DayCount",
    "EntryCount",
    "FlaggedAnswer",
    "Format",
    "Limits",
    "QuestionGroup",
    "Report",
    "build_report",
    "group_questions",
    "meaning_clusters",
    "parse_since",
    "question_vectors",
    "render",
]
