"""``qabot learn``: list the proposals members made, accept and reject them, export the accepted
ones to ``aliases.yaml`` beside the knowledge, which is loaded with it (SQLite in tmp_path)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import KnowledgeLoader, load_knowledge
from bot.knowledge.sources import folder_spec
from bot.metrics import Metrics
from bot.models import AskContext
from bot.service import QABot
from bot.settings import load_core_settings
from tests.store.support import REPO

MISSED = "what should I show so they don't think I'm a hobbyist"
OTHER = "how do I learn rag"
PROOF = "proof-of-work"


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A copy of the bundled knowledge, so that export writes into the test's folder."""
    for name in ("DATABASE_URL", "USER_ID_SALT"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "webinars"
    shutil.copytree(REPO / "knowledge" / "webinars", folder)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("EMBEDDING_MODEL", "word-vectors")
    return folder


async def propose(picks: list[tuple[str, str, str]]) -> dict[str, str]:
    """Members ask, miss and pick (user, wording, part of the entry id); the entries' ids."""
    bot = await QABot.start(load_core_settings(), metrics=Metrics())
    ids = {}
    for user, wording, part in picks:
        missed = await bot.ask(wording, AskContext("slack", "T1", "C1", user))
        [entry_id] = [e.id for e in bot.knowledge.entries if part in e.id]
        ids[part] = entry_id
        ctx = AskContext("slack", "T1", "C1", user)
        await bot.pick(entry_id, ctx, via="suggestion", log_id=missed.log_id)
    await bot.close()
    return ids


def test_learn_lists_accepts_rejects_and_exports(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picks = [("U1", MISSED, PROOF), ("U2", MISSED, PROOF), ("U1", OTHER, "backgrounds")]
    ids = asyncio.run(propose(picks))
    assert main(["learn", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["version"] == 1
    first, second = listed["proposals"]
    assert (first["wording"], first["members"], first["status"]) == (MISSED, 2, "pending")
    assert first["entry_id"] == ids[PROOF] and first["entry_question"].startswith('What "proof')
    assert set(first) == {
        "id",
        "wording",
        "entry_id",
        "entry_question",
        "members",
        "status",
        "created_at",
        "decided_at",
    }
    assert second["wording"] == OTHER and second["members"] == 1

    assert main(["learn"]) == 0
    table = capsys.readouterr().out
    assert f"2 members: “{MISSED}”" in table and 'What "proof of work"' in table

    assert main(["learn", "accept", str(first["id"])]) == 0
    assert main(["learn", "reject", str(second["id"])]) == 0
    out = capsys.readouterr().out
    assert "no running workers here" in out
    assert main(["learn", "accept", "999"]) == 1
    assert "no proposal 999" in capsys.readouterr().out
    assert main(["learn"]) == 0
    assert capsys.readouterr().out == "no pending alias proposals\n"
    assert main(["learn", "--status", "all", "--json"]) == 0
    statuses = [p["status"] for p in json.loads(capsys.readouterr().out)["proposals"]]
    assert sorted(statuses) == ["accepted", "rejected"]
    assert main(["learn", "accept"]) == 2

    (folder / "aliases.yaml").write_text(
        "# the host's own\n01-a-day-of-ai-engineer#what-backgrounds-make-good-ai-engineers:\n"
        "  - do I need a CS degree\n",
        encoding="utf-8",
    )
    assert main(["learn", "export"]) == 0
    assert "1 new alias(es), 2 in all" in capsys.readouterr().out
    knowledge = load_knowledge(folder)
    assert MISSED in knowledge.get(ids[PROOF]).aliases  # type: ignore[union-attr]
    assert "do I need a CS degree" in knowledge.get(ids["backgrounds"]).aliases  # type: ignore[union-attr]


def test_a_broken_aliases_file_is_a_problem_and_the_knowledge_still_loads(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "webinars"
    shutil.copytree(REPO / "knowledge" / "webinars", folder)
    (folder / "aliases.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    knowledge = KnowledgeLoader([folder_spec(folder)]).load()
    assert knowledge.entries
    assert any(p.path == "aliases.yaml" and p.severity == "error" for p in knowledge.problems)


def test_aliases_of_an_entry_that_is_gone_are_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "webinars"
    shutil.copytree(REPO / "knowledge" / "webinars", folder)
    (folder / "aliases.yaml").write_text("01-gone#nothing:\n  - lost words\n", encoding="utf-8")
    knowledge = KnowledgeLoader([folder_spec(folder)]).load()
    [problem] = [p for p in knowledge.problems if p.path == "aliases.yaml"]
    assert problem.severity == "warning" and "webinars/01-gone#nothing" in problem.message


def test_accepting_signals_the_running_workers_to_reload(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(propose([("U1", MISSED, PROOF)]))
    reloaded = tmp_path / "reloaded"
    worker = subprocess.Popen(  # stands in for a worker: SIGHUP is its "reload now"
        [
            sys.executable,
            "-c",
            "import pathlib, signal, sys, time\n"
            "signal.signal(signal.SIGHUP, lambda *_: (pathlib.Path(sys.argv[1]).touch(), "
            "sys.exit(0)))\nprint('ready', flush=True)\ntime.sleep(30)",
            str(reloaded),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline() == b"ready\n"
        run_dir = tmp_path / "data" / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / f"slack-{worker.pid}.pid").write_text(f"{worker.pid}\n", encoding="ascii")
        assert main(["learn", "accept", "1"]) == 0
        assert f"signalled 1 worker(s) to reload: slack-{worker.pid}" in capsys.readouterr().out
        assert worker.wait(10) == 0 and reloaded.exists()
    finally:
        worker.kill()
        worker.wait()
