"""YAML from knowledge files, bounded: no anchors or aliases, and a size limit.

Aliases let a few lines stand for billions of items (an "alias bomb"); front matter and
``_metadata.yaml`` never need them, so they are refused outright.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.errors import KnowledgeError

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_YAML_CHARS = 200_000


def load_yaml(text: str, path: str, first_line: int = 1, *, what: str = "YAML") -> Any:
    """Parse ``text``, whose first line is ``first_line`` of ``path``; errors name file and line."""
    if len(text) > MAX_YAML_CHARS:
        raise KnowledgeError(
            path, first_line, f"{what} is {len(text):,} characters; the limit is {MAX_YAML_CHARS:,}"
        )
    try:
        if "&" in text or "*" in text:  # the only characters that start an anchor or alias
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    mark = event.start_mark
                    raise KnowledgeError(
                        path,
                        first_line + (mark.line if mark is not None else 0),
                        f"{what} uses an anchor or alias (&name, *name); they are not allowed",
                    )
        return yaml.load(text, Loader=_Loader)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        reason = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(path, line, f"invalid {what}: {reason}") from None
