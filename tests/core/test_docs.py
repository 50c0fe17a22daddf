"""The configuration page, .env.example and the settings code name the same variables.

The variables are collected from the code itself: every settings reader (the core's, and
each installed platform's) runs against an environment that records what is read.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot import platforms
from bot.config import SettingsReader
from bot.settings import read_core

REPO = Path(__file__).resolve().parents[2]
CODE = [REPO / "bot", REPO / "adapters"]


class Recording(dict[str, str]):
    """An empty environment that notes every variable asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.read.add(key)
        return default


# The platforms whose variables .env.example lists; another platform documents its variables
# on its own docs page only, so adding one touches adapters/<name>/, pyproject.toml and a page.
IN_ENV_EXAMPLE = ("slack", "discord")


def variables_read(only: tuple[str, ...] | None = None) -> set[str]:
    environ = Recording()
    reader = SettingsReader(environ)
    core = read_core(reader)
    for platform in platforms.load_all():
        if only is None or platform.name in only:
            platform.settings(reader, core)
            platform.tip_channels(reader, core)
    return environ.read


def documented_variables() -> set[str]:
    """Variables in a settings table (``| `NAME` | ...``) of any docs page."""
    found = set()
    for page in (REPO / "docs").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        found |= set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", text, re.MULTILINE))
    return found


def test_only_the_settings_reader_reads_the_environment() -> None:
    """No code reads a variable by name but through SettingsReader, so running the readers,
    as below, finds every variable the bot reads."""
    direct = set()
    for path in (p for folder in CODE for p in folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            target = node.value if isinstance(node, ast.Subscript) else None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func if node.func.attr == "getenv" else node.func.value
            if _is_os_environ(target):
                direct.add(f"{path.relative_to(REPO)}:{node.lineno}")
    assert direct == set()


def _is_os_environ(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def test_the_docs_document_exactly_the_variables_read() -> None:
    documented = documented_variables()
    read = variables_read()
    assert documented - read == set(), "documented but never read"
    assert read - documented == set(), "read but not documented"


def test_env_example_lists_exactly_the_variables_read() -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert listed == variables_read(only=IN_ENV_EXAMPLE)


def test_links_between_the_pages_lead_somewhere() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert not broken
