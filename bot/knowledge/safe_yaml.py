"""YAML from knowledge files, bounded: no anchors or aliases, and a size limit.

Aliases let a few lines stand for billions of items (an "alias bomb"); front matter and
``_metadata.yaml`` never need them, so they are refused outright.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from bot.errors import KnowledgeError

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_YAML_CHARS = 200_000
_STR = "tag:yaml.org,2002:str"
_resolve: Callable[[Any, str, tuple[bool, bool]], str] = yaml.resolver.Resolver().resolve
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
# "key: value" with a plain, 'single' or "double" (no escapes) value: nearly all front matter
_LINE = re.compile(
    r"""([A-Za-z_][A-Za-z0-9_-]*):[ \t]+"""
    r"""(?:'((?:[^']|'')*)'|"([^"\\]*)"|([^-?:,\[\]{}#&*!|>'"%@`\s][^\n]*?))[ \t]*"""
)


def _simple_mapping(text: str) -> dict[str, str | int] | None:
    """The mapping when every line is a simple ``key: text``; None means: ask PyYAML.

    PyYAML builds a parser per call; for 100,000 small front matters that is most of a
    cold start. A plain value that YAML would read as something else than text (a number
    with a leading zero, ``yes``, a date) goes to PyYAML too, so the result never differs.
    """
    data: dict[str, str | int] = {}
    for line in text.split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        key, single, double, plain = match.groups()
        value: str | int
        if single is not None:
            value = single.replace("''", "'")
        elif double is not None:
            value = double
        elif _DECIMAL.fullmatch(plain):
            value = int(plain)
        elif (
            ": " in plain
            or " #" in plain
            or plain.endswith(":")
            or _resolve(yaml.ScalarNode, plain, (True, False)) != _STR
        ):
            return None
        else:
            value = plain
        data[key] = value
    return data


def load_yaml(text: str, path: str, first_line: int = 1, *, what: str = "YAML") -> Any:
    """Parse ``text``, whose first line is ``first_line`` of ``path``; errors name file and line."""
    if len(text) > MAX_YAML_CHARS:
        raise KnowledgeError(
            path, first_line, f"{what} is {len(text):,} characters; the limit is {MAX_YAML_CHARS:,}"
        )
    fast = _simple_mapping(text)
    if fast is not None:
        return fast
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
