"""``aliases.yaml``: other wordings of entries' questions, kept beside the knowledge.

The file maps entry ids to the wordings members use for them; ``qabot learn export`` writes
the accepted proposals into it and the host may edit it like any knowledge file::

    # entry id (or the id inside this source) -> wordings matched like its question
    webinars/01-a-day-of-ai-engineer#what-backgrounds-make-good-ai-engineers:
      - do I need a CS degree for this
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from bot.errors import KnowledgeError
from bot.knowledge.files import read_text
from bot.knowledge.safe_yaml import load_yaml

ALIASES_FILE = "aliases.yaml"
HEADER = (
    "# Other wordings of entries' questions, matched like the question itself.\n"
    "# Keys are entry ids; `qabot learn export` adds the aliases the host accepted.\n"
)


def read_aliases(path: Path | str, rel: str, source: str) -> dict[str, tuple[str, ...]]:
    """The file's aliases by full entry id; a malformed file raises with its line."""
    data = load_yaml(read_text(path, rel), rel, what=ALIASES_FILE)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KnowledgeError(rel, 1, "expected a mapping of entry ids to lists of wordings")
    aliases: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        wordings = [value] if isinstance(value, str) else value
        if not isinstance(key, str) or not isinstance(wordings, list):
            raise KnowledgeError(rel, 1, f"entry {key!r}: expected a list of wordings")
        if not all(isinstance(w, str) for w in wordings):
            raise KnowledgeError(rel, 1, f"entry {key!r}: every wording must be text")
        entry_id = key if not source or key.startswith(f"{source}/") else f"{source}/{key}"
        aliases[entry_id] = (*aliases.get(entry_id, ()), *wordings)
    return aliases


def render_aliases(aliases: Mapping[str, Sequence[str]]) -> str:
    """The file's text for ``aliases`` (entry id -> wordings), ids in order."""
    data = {entry_id: list(aliases[entry_id]) for entry_id in sorted(aliases) if aliases[entry_id]}
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100) if data else ""
    return HEADER + body
