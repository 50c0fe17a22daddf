"""``qabot learn``: the alias proposals members' corrections made; accept, reject, export.

An accepted proposal becomes an alias of its entry: running workers are signalled to reload
(as ``qabot reload``), and every later start joins it to the entry from the database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.cli.options import knowledge_from, loader_from
from bot.errors import UsageError
from bot.knowledge import KnowledgeBase
from bot.knowledge.alias_file import ALIASES_FILE, read_aliases, render_aliases
from bot.runfiles import signal_workers
from bot.settings import CoreSettings, load_core_settings
from bot.store import Store, stored_entry_id
from bot.store.alias_store import STATUSES, AliasProposal, AliasStore, Status
from bot.store.errors import reported_store_errors

JSON_VERSION = 1  # the shape of ``--json``; documented in docs/cli.md
DEFAULT_LIMIT = 50


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "learn",
        help="review the aliases members' corrections proposed: list, accept, reject, export",
        description="Without an action, lists the pending proposals: a member's wording and "
        "the entry they picked after a miss or 'Not what I asked', with how many members made "
        "it. 'accept ID...' makes them aliases of their entries (running workers reload at "
        "once), 'reject ID...' hides them, 'export' writes the accepted ones to aliases.yaml "
        "in the first knowledge folder (or --to).",
    )
    parser.add_argument(
        "action", nargs="?", choices=("list", "accept", "reject", "export"), default="list"
    )
    parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="proposal ids")
    parser.add_argument("--json", action="store_true", help="the list as JSON (docs/cli.md)")
    parser.add_argument(
        "--status",
        choices=(*STATUSES, "all"),
        default="pending",
        help="which proposals to list (default: pending)",
    )
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help=f"at most N (default {DEFAULT_LIMIT})"
    )
    parser.add_argument("--to", type=Path, metavar="PATH", help="export: the file or folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_core_settings()
    if args.action in ("accept", "reject"):
        if not args.ids:
            raise UsageError(f"{args.action} needs the id of a proposal (see `qabot learn`)")
        decision: Status = "accepted" if args.action == "accept" else "rejected"
        return asyncio.run(_decide(settings, args.ids, decision))
    if args.ids:
        raise UsageError(f"{args.action} takes no ids")
    if args.action == "export":
        return asyncio.run(_export(settings, args.to))
    status: Status | None = None if args.status == "all" else args.status
    knowledge = knowledge_from(settings)
    found = asyncio.run(_read(settings, lambda a: a.proposals(status, limit=args.limit)))
    if args.json:
        print(json.dumps(as_json(found, knowledge), ensure_ascii=False, indent=2))
    else:
        print(as_table(found, knowledge, status), end="")
    return 0


async def _read(settings: CoreSettings, query: Any) -> Any:
    store = Store.connect(settings.database_url, settings.data_dir)
    try:
        with reported_store_errors():
            await store.upgrade()
            return await query(AliasStore(store.engine))
    finally:
        await store.close()


async def _decide(settings: CoreSettings, ids: Sequence[int], status: Status) -> int:
    now = dt.datetime.now(dt.UTC)

    async def decide(aliases: AliasStore) -> list[tuple[int, AliasProposal | None]]:
        return [(pid, await aliases.decide(pid, status, now)) for pid in ids]

    missing = 0
    for pid, proposal in await _read(settings, decide):
        if proposal is None:
            print(f"no proposal {pid}")
            missing += 1
        else:
            print(f"{status} {pid}: “{proposal.wording}” -> {proposal.entry_id}")
    if missing < len(ids):
        done = signal_workers(settings.data_dir)
        if done.workers:
            print(f"signalled {len(done.workers)} worker(s) to reload: {', '.join(done.workers)}")
        else:
            print("no running workers here; workers load the aliases when they start")
    return 1 if missing else 0


async def _export(settings: CoreSettings, to: Path | None) -> int:
    accepted: dict[str, tuple[str, ...]] = await _read(settings, lambda a: a.accepted())
    path = _export_path(settings, to)
    knowledge = knowledge_from(settings)
    by_stored = {stored_entry_id(e.id): e.id for e in knowledge.entries}
    merged: dict[str, list[str]] = {}
    if path.is_file():  # the host's edits stay
        source = _source_of(settings, path)
        for entry_id, wordings in read_aliases(path, ALIASES_FILE, source).items():
            merged.setdefault(entry_id, []).extend(wordings)
    added = 0
    for stored, wordings in accepted.items():
        known = by_stored.get(stored)
        if known is None:
            print(f"skipped aliases of {stored}: no such entry in the knowledge now")
            continue
        have = merged.setdefault(known, [])
        for wording in wordings:
            if wording not in have:
                have.append(wording)
                added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render_aliases(merged), encoding="utf-8")
    tmp.replace(path)
    print(f"wrote {path}: {added} new alias(es), {sum(map(len, merged.values()))} in all")
    return 0


def _export_path(settings: CoreSettings, to: Path | None) -> Path:
    if to is not None:
        return to / ALIASES_FILE if to.is_dir() else to
    for source in loader_from(settings).sources:
        if source.spec.kind == "folder":
            return source.folder / ALIASES_FILE
    raise UsageError("no knowledge folder to export to (the sources are git): give --to PATH")


def _source_of(settings: CoreSettings, path: Path) -> str:
    """The source whose folder holds ``path`` (ids in its aliases file may omit it)."""
    for source in loader_from(settings).sources:
        if path.resolve().parent == source.folder.resolve():
            return source.spec.name
    return ""


def as_json(proposals: Sequence[AliasProposal], knowledge: KnowledgeBase) -> dict[str, Any]:
    """``{"version": 1, "proposals": [...]}``; see docs/cli.md for the fields."""
    by_stored = {stored_entry_id(e.id): e for e in knowledge.entries}
    return {
        "version": JSON_VERSION,
        "proposals": [
            {
                "id": p.id,
                "wording": p.wording,
                "entry_id": p.entry_id,
                "entry_question": e.question if (e := by_stored.get(p.entry_id)) else None,
                "members": p.members,
                "status": p.status,
                "created_at": p.created_at.isoformat(),
                "decided_at": p.decided_at.isoformat() if p.decided_at else None,
            }
            for p in proposals
        ],
    }


def as_table(
    proposals: Sequence[AliasProposal], knowledge: KnowledgeBase, status: Status | None
) -> str:
    if not proposals:
        return f"no {status} alias proposals\n" if status else "no alias proposals\n"
    by_stored = {stored_entry_id(e.id): e for e in knowledge.entries}
    lines = []
    for p in proposals:
        entry = by_stored.get(p.entry_id)
        question = entry.question if entry else f"(no longer in the knowledge: {p.entry_id})"
        members = f"{p.members} member{'s' if p.members != 1 else ''}"
        shown = "" if status == "pending" else f" [{p.status}]"
        lines.append(f"{p.id:>5}  {members}{shown}: “{p.wording}”\n       -> {question}")
    return "\n".join(lines) + "\n"
