"""``qabot check [DIR]``: validate a knowledge folder; non-zero exit status on errors."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.knowledge import check_knowledge, load_knowledge
from bot.settings import load_core_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate a knowledge folder",
        description="Report parse errors, duplicate ids or questions, empty answers, "
        "missing titles. Exit status 1 when there are errors.",
    )
    parser.add_argument("directory", nargs="?", type=Path, metavar="DIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_core_settings()
    directory: Path = args.directory or settings.knowledge_dir
    problems = check_knowledge(directory, base_url=settings.base_url)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors:
        print(f"{directory}: {errors} error(s), {warnings} warning(s)")
        return 1
    knowledge = load_knowledge(directory, base_url=settings.base_url)
    files = len({e.path for e in knowledge.entries})
    print(f"{directory}: {len(knowledge)} entries in {files} file(s), {warnings} warning(s), OK")
    return 0
