"""Knowledge: sources of markdown files -> entries, with every problem named by file and line.

Modules: ``sources`` (what KNOWLEDGE_DIR names; folder sources) and ``git`` (git sources),
``walk`` (which files are read), ``formats`` (one module per file format, and the registry),
``load`` (building a ``KnowledgeBase``, re-parsing only changed files), ``cache`` (the parse
cache), ``check``, ``diff``, ``ids`` (ids of before sources had names) and ``tipworthy``.
"""

from bot.knowledge.base import KnowledgeBase, Problem
from bot.knowledge.check import MAX_ID_CHARS, check_channel_knowledge, check_knowledge
from bot.knowledge.diff import KnowledgeDiff, diff_knowledge
from bot.knowledge.git import GitSource, RefreshState
from bot.knowledge.ids import entry_id_mapping
from bot.knowledge.load import OFF_TOPIC_FILE, TIPS_FILE, KnowledgeLoader, load_knowledge
from bot.knowledge.sources import (
    FolderSource,
    Source,
    SourceSpec,
    bundled_knowledge_dir,
    bundled_sources,
    folder_spec,
    parse_sources,
)
from bot.knowledge.tipworthy import makes_a_tip, tip_verdict

__all__ = [
    "MAX_ID_CHARS",
    "OFF_TOPIC_FILE",
    "TIPS_FILE",
    "FolderSource",
    "GitSource",
    "KnowledgeBase",
    "KnowledgeDiff",
    "KnowledgeLoader",
    "Problem",
    "RefreshState",
    "Source",
    "SourceSpec",
    "bundled_knowledge_dir",
    "bundled_sources",
    "check_channel_knowledge",
    "check_knowledge",
    "diff_knowledge",
    "entry_id_mapping",
    "folder_spec",
    "load_knowledge",
    "makes_a_tip",
    "parse_sources",
    "tip_verdict",
]
