"""``qabot db upgrade``, ``qabot report`` and ``qabot tips`` end to end (SQLite in tmp_path)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli import tips as tips_cli
from bot.knowledge import load_knowledge
from bot.models import Tip
from bot.schedule import parse_weekly_slot
from bot.settings import TipChannel
from tests.store.support import REPO

ENV = (
    "DATABASE_URL",
    "SLACK_TIP_CHANNELS",
    "DISCORD_TIP_CHANNELS",
    "DISCORD_TOKEN",
    "USER_ID_SALT",
)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(REPO / "knowledge" / "webinars"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    return tmp_path / "data"


class FakePoster:
    """A platform poster as the adapters provide it, recording instead of calling an API."""

    platform = "slack"

    def __init__(self, channels: Sequence[TipChannel]) -> None:
        self.channels = channels
        self.posted: list[Tip] = []
        self.closed = False

    async def post(self, tip: Tip) -> str:
        self.posted.append(tip)
        return f"1700000000.{len(self.posted):06d}"

    async def aclose(self) -> None:
        self.closed = True


def test_db_upgrade_creates_then_reports_up_to_date(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "database schema upgraded from version 0 to 6",
        "database schema is up to date (version 6)",
    ]
    assert (environment / "qabot.sqlite3").is_file()


def test_db_upgrade_explains_an_unreachable_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres:hunter2@127.0.0.1:1/app")

    assert main(["db", "upgrade"]) == 1

    err = capsys.readouterr().err
    assert "qabot db: the database is not usable" in err and "check DATABASE_URL" in err
    assert "hunter2" not in err and "Traceback" not in err


def test_report_json_on_an_empty_log(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--since", "2d", "--format", "json"]) == 0

    data = json.loads(capsys.readouterr().out)
    assert data["questions"] == 0 and data["answer_rate"] is None
    assert len(data["per_day"]) == 3 and data["never_matched"]


def test_report_rejects_a_bad_span(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--since", "fortnight"]) == 2
    assert "expected a span such as 7d" in capsys.readouterr().err


def test_tips_preview_lists_each_configured_channel(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_TIP_CHANNELS", "C1, C2=wed 10:00 Europe/Berlin")

    assert main(["tips", "preview", "--channel", "C2"]) == 0
    assert main(["tips", "preview", "--channel", "C404"]) == 2

    captured = capsys.readouterr()
    line, *message = captured.out.splitlines()  # then the tip as Slack will get it, indented
    assert line.startswith("slack C2 2026-W") and "[webinars/" in line
    assert message[0].startswith("    *💡 Tip of the week:* ")
    assert "C404" in captured.err


def test_tips_post_posts_once_and_exits_0_when_already_posted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    always_due = parse_weekly_slot("mon 00:00 Pacific/Kiritimati")  # earliest slot of the week
    posters = [FakePoster([TipChannel("C1", always_due)]) for _ in range(2)]
    monkeypatch.setattr(tips_cli, "open_poster", lambda platform, environ: posters.pop(0))
    first, second = posters

    assert main(["tips", "post", "--platform", "slack"]) == 0
    assert main(["tips", "post", "--platform", "slack"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("posted 2026-W") and " to slack C1: " in out[0]
    assert out[1] == "no tips due (not yet time, or already posted this week)"
    assert len(first.posted) == 1 and second.posted == []
    assert first.closed and second.closed


def test_report_lists_stop_at_the_limit_and_say_how_many_more(
    capsys: pytest.CaptureFixture[str],
) -> None:
    entries = len(load_knowledge(REPO / "knowledge" / "webinars").entries)

    assert main(["report", "--since", "2d", "--limit", "3"]) == 0
    table = capsys.readouterr().out
    assert main(["report", "--since", "2d", "--source", "nowhere"]) == 2

    assert f"Entries never matched ({entries})" in table
    assert f"  … and {entries - 3} more" in table
    assert len(table.splitlines()) < 40
    assert "--source 'nowhere' names no part of the knowledge" in capsys.readouterr().err
