"""Architecture guards: the core stays platform-free and its public names are deliberate."""

from __future__ import annotations

import ast
from pathlib import Path

import bot

BOT = Path(bot.__file__).resolve().parent
PLATFORM_MODULES = ("discord", "slack_bolt", "slack_sdk", "adapters")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_never_imports_a_chat_platform() -> None:
    offenders = {
        f"{path.relative_to(BOT)}: {name}"
        for path in BOT.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in PLATFORM_MODULES
    }
    assert not offenders


def test_public_api_is_exactly_all() -> None:
    public = {name for name in vars(bot) if not name.startswith("_")}
    submodules = {p.stem for p in BOT.glob("*.py")} | {p.name for p in BOT.iterdir() if p.is_dir()}
    assert public - submodules == set(bot.__all__)
