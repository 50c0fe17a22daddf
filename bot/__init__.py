"""course-qa-bot core: knowledge loading, matching and answering; no chat platform inside."""

from bot.errors import BotError, ConfigError, KnowledgeError, StoreError, UsageError
from bot.knowledge import KnowledgeBase, Problem, check_knowledge, load_knowledge
from bot.matching import Matcher
from bot.models import Answer, AskContext, Candidate, Entry, NoAnswer, NoAnswerReason, Result, Tip

__all__ = [
    "Answer",
    "AskContext",
    "BotError",
    "Candidate",
    "ConfigError",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "Matcher",
    "NoAnswer",
    "NoAnswerReason",
    "Problem",
    "Result",
    "StoreError",
    "Tip",
    "UsageError",
    "check_knowledge",
    "load_knowledge",
]
