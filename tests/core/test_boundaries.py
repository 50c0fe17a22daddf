"""Architecture guards: the core stays platform-free, platforms keep the contract
(``bot.platforms``), and the core's public names are deliberate."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import bot
from bot import platforms
from bot.config import SettingsReader
from bot.settings import read_core

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


def test_every_registered_platform_keeps_the_contract() -> None:
    names = platforms.installed()
    assert {"slack", "discord"} <= set(names)
    for name in names:
        platform = platforms.load(name)
        assert isinstance(platform, platforms.Platform) and platform.name == name
        reader = SettingsReader({})
        assert platform.tip_channels(reader, read_core(reader)) == ()
        assert not reader.problems  # tip channels are optional and need no token


def test_loading_the_platforms_imports_no_chat_library() -> None:
    """``qabot --help`` and ``qabot tips preview`` load every platform: that must stay cheap."""
    probe = (
        "import sys; from bot import platforms; platforms.load_all(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {PLATFORM_MODULES[:3]!r}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_core_names_no_platform() -> None:
    """No branch on a platform's name: strings in bot/ (docstrings aside) never name one."""
    names = set(platforms.installed())
    offenders = set()
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words = set(re.findall(r"[a-z]+", node.value.lower()))
                if id(node) not in docstrings and words & names:
                    offenders.add(f"{path.relative_to(BOT)}: {node.value!r}")
    assert not offenders
