"""``qabot check [SOURCE ...]``: validate knowledge sources; non-zero exit status on errors."""

from __future__ import annotations

import argparse

from bot.cli.options import sources_from
from bot.knowledge import SourceSpec
from bot.knowledge.check import check_sources
from bot.settings import load_core_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate knowledge folders and repositories",
        description="Report parse errors, duplicate ids or questions, empty answers, missing "
        "titles, unreadable or unsafe files, ids too long to store, and CHANNEL_KNOWLEDGE "
        "names that match nothing. Exit status 1 when there are errors.",
    )
    parser.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="folders or git+… repositories, as in KNOWLEDGE_DIR (default: KNOWLEDGE_DIR)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_core_settings()
    sources = sources_from(args.sources) or settings.knowledge_sources
    knowledge, problems = check_sources(
        sources,
        base_url=settings.base_url,
        data_dir=settings.data_dir,
        channel_knowledge=None if args.sources else settings.channel_knowledge,
    )
    several = len(sources) > 1
    for problem in problems:
        print(problem.located() if several else problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    what = ", ".join(map(str, sources)) if several else _location(sources[0])
    if errors:
        print(f"{what}: {errors} error(s), {warnings} warning(s)")
        return 1
    files = len({(e.source, e.path) for e in knowledge.entries})
    print(f"{what}: {len(knowledge)} entries in {files} file(s), {warnings} warning(s), OK")
    return 0


def _location(spec: SourceSpec) -> str:
    if spec.kind == "folder":
        return f"{spec.location}/{spec.subfolder}" if spec.subfolder else spec.location
    return str(spec)
