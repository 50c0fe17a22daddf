"""``qabot tips preview`` shows each channel's next tip as its platform will get it, without any
platform token; then what ``qabot tips post`` runs (each platform's Web API poster) posts that
very message to the fakes."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import discord.http as discord_http
import pytest
from fake_discord import TOKEN, FakeDiscord
from slack_member import RecordingSlack

from bot.cli import main
from bot.cli.tips import open_poster, post_due_tips
from bot.replies import Kind, Reply, Source, as_text
from bot.settings import load_core_settings
from tests.support.living_knowledge import write_courses

DE_SLACK, ML_SLACK = "CDE", "CML"
DE_DISCORD = "200000000000000011"
ALWAYS_DUE = "mon 00:00 UTC"
DE_TIP = "How should I plan my study week for the data engineering course?"
ML_TIP = "How should I plan my study week for the machine learning course?"


def environ(tmp_path: Path) -> dict[str, str]:
    faq = write_courses(tmp_path / "faq")
    return {
        "KNOWLEDGE_DIR": f"faq={faq};tips=on;base=https://example.org/faq/blob/main",
        "CHANNEL_KNOWLEDGE": f"{DE_SLACK}=de-zoomcamp, {ML_SLACK}=ml-zoomcamp, "
        f"{DE_DISCORD}=de-zoomcamp",
        "SLACK_TIP_CHANNELS": f"{DE_SLACK}={ALWAYS_DUE}, {ML_SLACK}={ALWAYS_DUE}",
        "DISCORD_TIP_CHANNELS": f"{DE_DISCORD}={ALWAYS_DUE}",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'qa.db'}",
        "USER_ID_SALT": "test-salt",
        "EMBEDDING_MODEL": "word-vectors",
    }


def previews(out: str) -> dict[str, list[str]]:
    """The message lines of each "platform channel" in the preview."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in out.splitlines():
        if line.startswith("    ") or not line:  # an empty line: a paragraph's end
            current.append(line[4:])
        elif re.match(r"^\w+ \S+ \d{4}-W\d\d ", line):
            platform, channel = line.split()[:2]
            current = found.setdefault(f"{platform} {channel}", [])
    return found


async def test_the_preview_is_what_each_platform_then_gets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environ(tmp_path)
    monkeypatch.setattr(os, "environ", env)  # no platform token

    status = await asyncio.to_thread(main, ["tips", "preview"])  # qabot tips preview

    out = capsys.readouterr().out
    assert status == 0, out
    shown = previews(out)
    assert set(shown) == {f"slack {DE_SLACK}", f"slack {ML_SLACK}", f"discord {DE_DISCORD}"}
    de_slack, ml_slack, de_discord = (
        shown[f"slack {DE_SLACK}"],
        shown[f"slack {ML_SLACK}"],
        shown[f"discord {DE_DISCORD}"],
    )
    assert de_slack[0] == f"*💡 Tip of the week:* *{DE_TIP}*"  # each channel, its course
    assert ml_slack[0] == f"*💡 Tip of the week:* *{ML_TIP}*"
    assert de_slack[-1].startswith(
        "Source: <https://example.org/faq/blob/main/de-zoomcamp/general/003_d3e3d3e3d3.md#"
    )
    assert de_slack[-1].endswith("|Data Engineering Zoomcamp › General>")
    assert de_discord[:2] == [
        "💡 Tip of the week",
        f"**{DE_TIP}** <https://example.org/faq/blob/main/de-zoomcamp/general/003_d3e3d3e3d3.md#d3e3d3e3d3>",
    ]
    assert de_discord[-1] == "— Data Engineering Zoomcamp › General"

    # Then what `qabot tips post --platform NAME` posts, through the fakes.
    slack, discord = await RecordingSlack().start(), await FakeDiscord().start()
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack.api_url,
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_URL=discord.api_url,
    )
    endpoints = discord_http.Route.BASE
    try:
        for platform in ("slack", "discord"):
            posted, failed = await post_due_tips(
                load_core_settings(env), open_poster(platform, env)
            )
            assert len(posted) == {"slack": 2, "discord": 1}[platform]
            assert failed == []
    finally:
        discord_http.Route.BASE = endpoints  # the poster sets it process-wide
        await slack.close()
        await discord.close()

    by_channel = {p["channel"]: p for p in slack.of("chat.postMessage")}
    for channel, lines in ((DE_SLACK, de_slack), (ML_SLACK, ml_slack)):
        blocks = by_channel[channel]["blocks"]
        texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        texts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
        assert "\n".join(texts).splitlines() == lines
    [post] = discord.find("POST", rf"/channels/{DE_DISCORD}/messages")
    embed = post.json["embeds"][0]
    assert embed["author"]["name"] == de_discord[0]
    assert "\n".join(de_discord[2:-1]) == embed["description"]
    assert de_discord[-1] == f"— {embed['footer']['text']}"


def test_a_platform_without_a_layout_of_its_own_shows_plain_markdown() -> None:
    reply = Reply(
        Kind.TIP,
        "Answer text.",
        title="A question?",
        heading="💡 Tip of the week",
        source=Source("Course › Section", "https://example.org/q.md#a", "https://v.example/1"),
        full_answer_url="https://example.org/q.md#a",
    )
    assert as_text(reply) == (
        "💡 Tip of the week: A question?\nAnswer text.\n"
        "[Read the full answer](https://example.org/q.md#a)\n"
        "Source: [Course › Section](https://example.org/q.md#a) · "
        "[Recording](https://v.example/1)"
    )
