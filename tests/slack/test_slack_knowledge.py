"""Living knowledge, end to end, against the running Slack worker (HTTP mode) and the fake Slack.

One worker (the runtime's ``worker``, the real bolt app on a real port) runs for the whole
module, with four sources: a folder of talks, a two-course FAQ, a git repository on its
default branch and the same repository at a branch. Tests edit the folders and push to the
repository while it runs, and assert on what the bot sends to Slack.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
import re
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from fake_slack import FakeSlack
from slack_member import RecordingSlack, SlackMember, slack_text
from slack_side import SECRET, SlackSide, buttons

from adapters.slack.run import SlackConnection
from adapters.slack.settings import load_settings as load_slack_settings
from bot.report import build_report
from bot.runtime import Worker, worker
from bot.service import QABot
from tests.support.living_knowledge import (
    DE_DEADLINE,
    ML_BENTOML,
    ML_DEADLINE,
    ML_ONLY_QUESTION,
    Remote,
    Timings,
    eventually,
    free_port,
    generated_pages,
    generated_question,
    page,
    write,
    write_courses,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]

REFRESH = 2.0  # KNOWLEDGE_REFRESH of the module's worker, seconds
DE, ML, ELSEWHERE, DM = "CDE", "CML", "CGENERAL", "D0DIRECT"
ALWAYS_DUE = "mon 00:00 UTC"  # this week's slot is always in the past
TIMINGS = Timings("Slack worker")


def shown(payload: dict[str, Any]) -> str:
    return slack_text(payload)


def source_line(payload: dict[str, Any]) -> str:
    """The "Source: <url|label>" line of an answer."""
    found = re.search(r"Source: <[^>]+>", shown(payload))
    assert found, f"no source line in {shown(payload)}"
    return found.group(0)


def answered_with(text: str):  # type: ignore[no-untyped-def]
    """A check for ``eventually``: the reply when it shows ``text``."""

    def check(payload: dict[str, Any]) -> dict[str, Any] | None:
        return payload if text in shown(payload) else None

    return check


@dataclass
class World:
    root: Path
    talks: Path
    faq: Path
    remote: Remote
    fake: RecordingSlack
    member: SlackMember
    running: Worker
    base: str  # the worker's http://127.0.0.1:PORT

    @property
    def bot(self) -> QABot:
        return self.running.bot

    async def until_answered(
        self, question: str, text: str, within: float, channel: str = ELSEWHERE
    ) -> tuple[dict[str, Any], float]:
        async def attempt() -> dict[str, Any] | None:
            return answered_with(text)(await self.member.ask(question, channel))

        return await eventually(attempt, within)

    async def metrics(self) -> str:
        async with self.member.http.get(f"{self.base}/metrics") as response:
            return await response.text()


def environ(root: Path, fake: FakeSlack, port: int, sources: str, **extra: str) -> dict[str, str]:
    return {
        "KNOWLEDGE_DIR": sources,
        "KNOWLEDGE_REFRESH": str(REFRESH),
        "DATABASE_URL": f"sqlite:///{root / 'qa.db'}",
        "DATA_DIR": str(root / "data"),
        "USER_ID_SALT": "test-salt",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": str(port),
        "EMBEDDING_MODEL": "word-vectors",  # one matching from start to end
        **extra,
    }


@contextlib.asynccontextmanager
async def running_worker(env: dict[str, str]) -> AsyncIterator[Worker]:
    """The runtime's worker in a task of its own (entered and left there), until the block ends."""
    core, settings = load_slack_settings(env, mode="http")
    ready: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def run() -> None:
        async with worker(core, SlackConnection(settings, http=True), stop=stop) as running:
            ready.set_result(running)
            await stop.wait()

    task = asyncio.create_task(run())
    done, _ = await asyncio.wait({task, ready}, timeout=30, return_when="FIRST_COMPLETED")
    if task in done:
        task.result()  # the start failed: raise why
    try:
        yield ready.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    root = tmp_path_factory.mktemp("slack-living")
    talks = root / "talks"
    write(
        talks / "07-shipping.md",
        page(7, "Shipping", ("Where do I find the recording?", "On the course page.")),
    )
    faq = write_courses(root / "faq")
    remote = Remote(root / "remote")
    remote.push("talks/01-first.md", page(1, "First", ("Is the first talk online?", "Yes.")))
    remote.push(
        "talks/02-branch.md",
        page(2, "Branch", ("Is the release notes talk out?", "Yes, on the release branch.")),
        branch="release",
    )
    fake = await RecordingSlack().start()
    port = free_port()
    sources = f"{talks}, faq={faq};tips=on, {remote.url}, notes-release={remote.url}@release"
    env = environ(
        root,
        fake,
        port,
        sources,
        CHANNEL_KNOWLEDGE=f"{DE}=de-zoomcamp, {ML}=ml-zoomcamp",
        SLACK_TIP_CHANNELS=f"{DE}={ALWAYS_DUE}",
    )
    async with aiohttp.ClientSession() as http, running_worker(env) as running:
        base = f"http://127.0.0.1:{port}"
        yield World(
            root,
            talks,
            faq,
            remote,
            fake,
            SlackMember(http, f"{base}/slack/events", fake),
            running,
            base,
        )
    await fake.close()
    print(TIMINGS.report())


# --- a folder source ------------------------------------------------------------------------


async def test_a_saved_file_is_answered_within_5_seconds_without_a_restart(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.live_knowledge")
    before = await world.member.ask("what is the secret handshake of cohort eight?")
    assert "Wave twice" not in shown(before)

    write(
        world.talks / "08-cohort.md",
        page(
            8,
            "Cohort Eight",
            ("What is the secret handshake of cohort eight?", "Wave twice, then nod."),
        ),
    )
    answer, seconds = await world.until_answered(
        "what is the secret handshake of cohort eight?", "Wave twice", within=5
    )

    TIMINGS.add("a new file in a folder source", seconds, 5)
    assert "talks/08-cohort.md#what-is-the-secret-handshake-of-cohort-eight" in source_line(answer)
    [reloaded] = [r.getMessage() for r in caplog.records if "reloaded the knowledge" in r.message]
    assert re.search(r"\(files changed\): 4 added, 0 changed, 0 removed; \d+ entries", reloaded)


async def test_an_edited_answer_is_answered_within_5_seconds(world: World) -> None:
    write(
        world.talks / "07-shipping.md",
        page(7, "Shipping", ("Where do I find the recording?", "In the Recordings tab, now.")),
    )
    _, seconds = await world.until_answered(
        "where do I find the recording?", "Recordings tab", within=5
    )
    TIMINGS.add("an edited file in a folder source", seconds, 5)


# --- a git source ---------------------------------------------------------------------------


async def test_a_pushed_file_is_answered_within_the_refresh_plus_10_seconds(world: World) -> None:
    first = await world.member.ask("is the first talk online?")
    assert "course-notes/talks/01-first" in source_line(first)

    world.remote.push(
        "talks/03-pushed.md",
        page(
            3,
            "Pushed",
            ("Who runs the office hours on Thursday?", "Our teaching assistant Priya runs them."),
        ),
    )
    answer, seconds = await world.until_answered(
        "who runs the office hours on thursday?", "Priya", within=REFRESH + 10
    )

    TIMINGS.add(
        f"a pushed file in a git source (KNOWLEDGE_REFRESH={REFRESH:.0f})", seconds, REFRESH + 10
    )
    assert "course-notes/talks/03-pushed" in source_line(answer)


async def test_an_unreachable_remote_or_a_bad_ref_keeps_the_last_good_copy(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.knowledge.git")
    moved = world.remote.bare.with_name("moved-away.git")
    world.remote.bare.rename(moved)  # unreachable: both sources read from it
    try:

        async def failures_counted() -> str | None:
            text = await world.metrics()
            counted = [
                f'qabot_knowledge_source_failures{{source="{name}"}}'
                for name in ("course-notes", "notes-release")
            ]
            lines = [line for line in text.splitlines() if line.startswith(tuple(counted))]
            return (
                text
                if len(lines) == 2 and all(float(line.split()[-1]) >= 1 for line in lines)
                else None
            )

        await eventually(failures_counted, REFRESH + 10)
        logged = caplog.text
        assert "knowledge source course-notes: fetching" in logged
        assert "keeping the copy of" in logged
        answer = await world.member.ask("is the first talk online?")
        assert "course-notes/talks/01-first" in source_line(answer)
    finally:
        moved.rename(world.remote.bare)

    # A bad ref: the branch the source follows is deleted on the remote.
    caplog.clear()
    world.remote.delete_branch("release")

    async def bad_ref_logged() -> bool | None:
        return True if "notes-release: fetching" in caplog.text else None

    await eventually(bad_ref_logged, REFRESH + 10)
    assert "release" in caplog.text
    answer = await world.member.ask("is the release notes talk out?")
    assert "Yes, on the release branch" in shown(answer)
    assert "notes-release/talks/02-branch" in source_line(answer)
    health = world.bot.live.loader.refresh_states
    assert health["notes-release"].last_error and health["course-notes"].last_error is None


# --- a file broken mid-edit ---------------------------------------------------------------


async def test_a_file_broken_mid_edit_keeps_its_last_good_entries(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    de_kafka = world.faq / "de-zoomcamp/general/002_d2e2d2e2d2.md"
    good_faq = de_kafka.read_text(encoding="utf-8")
    entries_before = len(world.bot.knowledge.entries)
    # Mid-edit: front matter that is not YAML, and a page whose code block is never closed;
    # a third file is saved correctly in the same moment.
    write(de_kafka, "---\nid: d2e2d2e2d2\nquestion: 'Kafka: how do I start\n---\n\nhalf")
    write(
        world.talks / "09-broken.md",
        page(9, "Broken", ("How do I install the CLI?", "Run this:\n\n```bash\npip install")),
    )
    write(
        world.talks / "10-fine.md",
        page(10, "Fine", ("Which day is the demo day?", "Demo day is the last Friday.")),
    )

    await world.until_answered("which day is the demo day?", "last Friday", within=5)

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(
        re.match(
            r"faq/de-zoomcamp/general/002_d2e2d2e2d2\.md:\d+: error: .*"
            r"\(answering from its last good version\)",
            e,
        )
        for e in errors
    ), errors
    assert any(re.match(r"talks/09-broken\.md:\d+: error: code block", e) for e in errors), errors
    assert len(world.bot.knowledge.entries) >= entries_before  # never emptied
    answer = await world.member.ask("how do I start the kafka broker?", channel=DE)
    assert "docker compose up redpanda" in shown(answer)  # the last good version

    # Fixing the files brings their new entries.
    write(de_kafka, good_faq.replace("port 9092", "port 19092"))
    write(
        world.talks / "09-broken.md",
        page(9, "Broken", ("How do I install the CLI?", "Run `pip install course-cli`.")),
    )
    await world.until_answered("how do I start the kafka broker?", "19092", 5, channel=DE)
    await world.until_answered("how do I install the cli?", "course-cli", within=5)


# --- channel scoping ------------------------------------------------------------------------


async def test_a_course_channel_is_answered_from_its_course(world: World) -> None:
    de = await world.member.ask("when is the homework deadline?", channel=DE)
    ml = await world.member.ask("when is the homework deadline?", channel=ML)

    assert "Monday at 23:00" in shown(de) and "Friday" not in shown(de)
    assert DE_DEADLINE.split("#")[0].removeprefix("faq/") in source_line(de)
    assert "|Data Engineering Zoomcamp › General>" in source_line(de)
    assert "Friday at 18:00" in shown(ml)
    assert "|Machine Learning Zoomcamp › General>" in source_line(ml)


async def test_other_channels_and_dms_are_answered_from_everything(world: World) -> None:
    for channel in (ELSEWHERE, DM):
        reply = await world.member.ask("when is the homework deadline?", channel=channel)
        seen = shown(reply)
        # Both courses are in play: one answers, the other is offered next to it.
        assert DE_DEADLINE in seen or "Monday at 23:00" in seen, seen
        assert ML_DEADLINE in seen or "Friday at 18:00" in seen, seen
    only_ml = await world.member.ask(ML_ONLY_QUESTION, channel=DM)
    assert "bentoml containerize" in shown(only_ml)


async def test_another_course_is_only_offered_as_a_suggestion_with_its_label(
    world: World,
) -> None:
    reply = await world.member.ask(ML_ONLY_QUESTION, channel=DE)

    assert reply["response_type"] == "ephemeral"  # a miss: only the asker sees it
    assert "bentoml containerize" not in shown(reply)
    blocks = reply["blocks"]
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    offered = {json.loads(b["value"])["e"]: b["text"]["text"] for b in buttons}
    assert ML_BENTOML in offered
    # "question · source", within the 75 characters of a Slack button
    assert "· Machine Learning" in offered[ML_BENTOML]


async def test_the_weekly_tip_of_a_course_channel_is_drawn_from_its_course(world: World) -> None:
    [tip] = [p for p in world.fake.of("chat.postMessage") if p["channel"] == DE]
    assert tip["text"].startswith(
        "💡 Tip of the week: How should I plan my study week for the data engineering course?"
    )
    assert "|Data Engineering Zoomcamp › General>" in shown(tip)


# --- several sources ------------------------------------------------------------------------


async def test_every_source_answers_with_ids_named_after_it(world: World) -> None:
    names = world.bot.knowledge.source_names
    assert names == ("talks", "faq", "course-notes", "notes-release")
    by_source = {e.source for e in world.bot.knowledge.entries}
    assert by_source == set(names)


# --- reloading while questions are asked --------------------------------------------------

BULK = 2000


async def test_questions_asked_during_a_reload_of_2000_entries_all_see_one_knowledge(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    bulk = tmp_path / "bulk"
    generated_pages(bulk, BULK, "v1")
    fake = await RecordingSlack().start()
    port = free_port()
    env = environ(tmp_path, fake, port, str(bulk))
    asked = [generated_question(n) for n in range(0, BULK, 97)]  # 21 of them, all over
    replies: list[tuple[int, str, dict[str, Any]]] = []  # (asker, question, reply)
    lags: list[float] = []
    switched = asyncio.Event()
    stopping = asyncio.Event()

    async def asker(number: int, member: SlackMember) -> None:
        for question in itertools.cycle(asked):
            if stopping.is_set():
                return
            reply = await member.ask(question, within=10)
            replies.append((number, question, reply))
            if "[v2]" in shown(reply):
                switched.set()

    async def ticker() -> None:
        """How late the event loop wakes a 10 ms sleep: what a reload blocks it for."""
        while not stopping.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - started - 0.01)

    try:
        async with aiohttp.ClientSession() as http, running_worker(env) as running:
            member = SlackMember(http, f"http://127.0.0.1:{port}/slack/events", fake)
            assert len(running.bot.knowledge.entries) >= BULK
            askers = [asyncio.create_task(asker(n, member)) for n in range(4)]
            ticking = asyncio.create_task(ticker())
            await asyncio.sleep(0.5)
            lags.clear()  # measure from the reload on
            before = len(replies)
            saved = time.monotonic()
            generated_pages(bulk, BULK, "v2")  # every file rewritten: 2,000 entries changed
            generated_pages(bulk / "more", 500, "v2")
            await asyncio.wait_for(switched.wait(), 20)
            seconds = time.monotonic() - saved
            await asyncio.sleep(1.0)  # and a while on the new knowledge
            stopping.set()
            await asyncio.gather(*askers, ticking)
    finally:
        await fake.close()

    # No target of its own: 2.5-4 s measured on 2 busy cores; the bound only catches a hang.
    TIMINGS.add(f"a rewritten folder of {BULK} entries (+500), under questions", seconds, 10)
    TIMINGS.note(f"longest event-loop stall during it ({len(lags)} ticks of 10 ms)", max(lags))
    during = replies[before:]
    assert len(during) > 40, f"only {len(during)} questions asked during the reload"
    assert len(fake.of("response_url")) == len(replies)  # every question answered, once
    versions_seen: dict[int, list[str]] = {}
    for number, question, reply in replies:
        seen = shown(reply)
        assert "went wrong" not in seen
        header = next(b for b in reply["blocks"] if b["type"] == "header")["text"]["text"]
        [version] = set(re.findall(r"\[(v\d)\]", seen))  # the answer's text: one version
        assert header == f"{question.rstrip('?')}? ({version})", (question, header)
        assert f"-{version}" in source_line(reply)  # its link too
        alternatives = [
            i
            for b in reply["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            for i in json.loads(e["value"]).get("alt", [])
        ]
        assert all(i.endswith(f"-{version}") for i in alternatives), (version, alternatives)
        versions_seen.setdefault(number, []).append(version)
    for sequence in versions_seen.values():  # each member: the old knowledge, then the new
        assert sequence == sorted(sequence), sequence
    reloaded = [r.getMessage() for r in caplog.records if "reloaded the knowledge" in r.message]
    # The new files' entries and their pages' metadata added; every question reworded.
    assert reloaded == [
        f"reloaded the knowledge (files changed): 2530 added, 0 changed, {BULK} removed; "
        "2650 entries"
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- ids that do not depend on where a folder is -------------------------------------------


async def test_a_folder_moved_elsewhere_keeps_its_ids_and_its_votes(tmp_path: Path) -> None:
    first = tmp_path / "srv" / "course-notes"
    write(
        first / "talks" / "05-deploys.md",
        page(5, "Deploys", ("How do I roll back a deploy?", "Run `make rollback` from main.")),
    )
    fake = await RecordingSlack().start()
    port = free_port()
    spec = ";base=https://example.org/notes/blob/main"
    try:
        async with aiohttp.ClientSession() as http:
            member = SlackMember(http, f"http://127.0.0.1:{port}/slack/events", fake)
            async with running_worker(environ(tmp_path, fake, port, f"{first}{spec}")):
                before = await member.ask("how do I roll back a deploy?")
                [down] = [b for b in buttons(before) if b["action_id"] == "qabot_vote_down"]
                clicked = await SlackSide(http, member.url, fake).click(down, user="U7")
                assert clicked.status == 200

                async def thanked() -> bool | None:
                    return (
                        True
                        if "Thanks for the feedback" in shown(fake.of("response_url")[-1])
                        else None
                    )

                await eventually(thanked, 5)

            moved = shutil.copytree(first, tmp_path / "elsewhere" / "deeper" / "course-notes")
            async with running_worker(environ(tmp_path, fake, port, f"{moved}{spec}")) as again:
                after = await member.ask("how do I roll back a deploy?")
                report = await build_report(
                    again.bot.store,
                    again.bot.knowledge,
                    dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
                    dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
                )
    finally:
        await fake.close()

    entry_id = "course-notes/talks/05-deploys#how-do-i-roll-back-a-deploy"
    assert source_line(after) == source_line(before)  # the link, from the source's base URL
    assert "https://example.org/notes/blob/main/talks/05-deploys.md#how-do-i-roll" in source_line(
        after
    )
    [voted] = report.most_down_voted
    assert (voted.entry_id, voted.question, voted.count) == (
        entry_id,
        "How do I roll back a deploy?",
        1,
    )
