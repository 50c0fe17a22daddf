"""Drive ONE real ``qabot slack --http`` process the way Slack does, and count what it did.

Used by ``scripts/load_and_faults.py`` (load and database faults, with printed figures) and by
``tests/e2e/test_database_faults.py``. The Web API is the fake Slack in this process's event
loop; requests are signed like Slack's: ``/ask`` slash commands and ``app_mention`` events,
some events delivered twice (Slack retries when an ack seems late). Each question carries its
number, so answers (response URL or thread) and log rows are matched to the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bot.store import normalise_database_url
from bot.store.engine import create_engine
from bot.store.schema import question_log
from tests.slack.fake_slack import BOT_USER, TEAM, Call, FakeSlack
from tests.support.living_knowledge import QabotProcess, free_port

SECRET = "load-signing-secret"
REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "tests" / "eval" / "questions.jsonl"
NUMBER = re.compile(r"\(#(\d+)\)")
CLOSING_DROPS = re.compile(r"closing with (\d+) rows not written")  # bot.store.writer.close
REDELIVER_EVERY = 5  # one mention in five arrives twice, like a Slack retry
REDELIVER_AFTER = 0.5  # seconds after the first delivery
LEXICAL_MODES = ("starting", "lexical", "word-vectors")
THREADS = "1700000000"  # the seconds of every mention's ts; the request number follows
SORRY = "something went wrong"  # bot.replies.SORRY: an apology is not an answer


class CountingSlack(FakeSlack):
    """The fake Slack, remembering which response URL each reply went to."""

    async def _response_url(self, request: web.Request) -> web.Response:
        payload = await self._payload(request)
        payload["_rid"] = request.match_info["rid"]
        self.calls.append(Call("response_url", dict(request.headers), payload))
        return web.Response(text="ok")

    def answers(self, *, apologies: bool = False) -> Counter[int]:
        """How many replies each request number got (slash: its response URL; mention: its
        thread): every reply the member sees, or only the apologies."""
        seen: Counter[int] = Counter()
        for call in self.calls:
            number = _number_of(call)
            if number is not None and (not apologies or SORRY in json.dumps(call.payload)):
                seen[number] += 1
        return seen


def _number_of(call: Call) -> int | None:
    if call.method == "response_url":
        return int(call.payload["_rid"])
    if call.method in ("chat.postMessage", "chat.postEphemeral"):
        thread = str(call.payload.get("thread_ts") or "")
        if thread.startswith(f"{THREADS}."):
            return int(thread.split(".")[1])
    return None


@dataclass
class Sent:
    number: int
    kind: str  # "ask" or "mention"
    status: int
    latency: float  # seconds until the ack
    redelivery: bool = False


@dataclass
class Totals:
    """What one run did, as the checks and the printout need it."""

    sent: list[Sent]
    questions: set[int]  # request numbers that asked a question (redeliveries not counted)
    answers: Counter[int]
    logged: Counter[int]  # log rows per question number
    apologies: int  # replies saying "something went wrong" instead of an answer
    dropped: float  # qabot_log_dropped_total
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def acked(self) -> int:
        return sum(1 for s in self.sent if 200 <= s.status < 300)

    def latency(self, q: float) -> float:
        values = sorted(s.latency for s in self.sent)
        if len(values) < 2:
            return values[0] if values else 0.0
        return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]

    def answered(self, times: int) -> int:
        return sum(1 for n in self.questions if self.answers[n] == times)

    @property
    def answered_more(self) -> int:
        return sum(1 for n in self.questions if self.answers[n] > 1)

    def missing(self) -> list[int]:
        """The questions with no log row, by number."""
        return sorted(n for n in self.questions if not self.logged[n])

    def log_counts(self) -> tuple[int, int, int]:
        """(questions logged once, logged more than once, not logged)."""
        once = sum(1 for n in self.questions if self.logged[n] == 1)
        more = sum(1 for n in self.questions if self.logged[n] > 1)
        return once, more, len(self.questions) - once - more


def questions() -> list[str]:
    """Member-style questions from the evaluation set (what members really ask); not the small
    talk ("thanks!"), which gets a friendly note and no log row."""
    rows = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines() if line]
    return [row["q"] for row in rows if row.get("expected")]


class SlackBot:
    """A ``qabot slack --http`` process with the fake Slack, and Slack's side of the traffic."""

    def __init__(self, root: Path, database_url: str, **env: str) -> None:
        self.root = root
        self.database_url = database_url
        self.env = env
        self.fake = CountingSlack()
        self.port = free_port()
        self.process: QabotProcess | None = None
        self.http: aiohttp.ClientSession | None = None
        self.sent: list[Sent] = []
        self.questions: set[int] = set()
        self.texts = questions()
        self._numbers = itertools.count(1)
        self._signer = SignatureVerifier(SECRET)
        self._tasks: set[asyncio.Task[None]] = set()
        self.exit_status: int | None = None
        self._stopped = False
        self.settled = True  # False when ``settle`` gave up waiting

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, matching_ready: bool = False, within: float = 180.0) -> None:
        """Start the process; wait until /healthz answers (and the sentence model is on)."""
        await self.fake.start()
        self.root.mkdir(parents=True, exist_ok=True)
        env = {
            "PORT": str(self.port),
            "SLACK_BOT_TOKEN": "xoxb-load",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.fake.api_url,
            "DATABASE_URL": self.database_url,
            "DATA_DIR": str(self.root / "data"),
            "USER_ID_SALT": "load-salt",
            "LOG_LEVEL": "WARNING",
            **self.env,
        }
        connector = aiohttp.TCPConnector(limit=0)
        self.http = aiohttp.ClientSession(connector=connector)
        self.process = await QabotProcess(["slack", "--http"], env, self.root / "qabot.log").start()
        deadline = time.monotonic() + within
        while True:
            health = await self.health()
            if health and not (matching_ready and health.get("matching") in LEXICAL_MODES):
                return
            if not self.process.running:
                raise RuntimeError(f"qabot exited:\n{self.process.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"qabot not ready in {within:.0f} s:\n{self.process.output()}")
            await asyncio.sleep(0.2)

    async def health(self) -> dict[str, Any] | None:
        """/healthz as JSON (with ``_status``), or None if the process does not answer."""
        assert self.http is not None
        try:
            async with self.http.get(f"{self.url}/healthz", timeout=aiohttp.ClientTimeout(2)) as r:
                body: dict[str, Any] = await r.json()
                return {**body, "_status": r.status}
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def dropped(self) -> float:
        assert self.http is not None
        async with self.http.get(f"{self.url}/metrics") as response:
            text = await response.text()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("qabot_log_dropped_total"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    # --- Slack's side ------------------------------------------------------------------------

    def send(self) -> None:
        """One request now, in the background: /ask or a mention, alternately."""
        number = next(self._numbers)
        self.questions.add(number)
        task = asyncio.create_task(self._one(number))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def load(self, rate: float, seconds: float) -> None:
        """``rate`` requests a second for ``seconds``, on a fixed schedule (not closed-loop)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(round(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            self.send()

    async def sent_all(self, within: float = 30.0) -> None:
        """Until every request (redeliveries included) has its ack or failed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _one(self, number: int) -> None:
        text = f"{self.texts[number % len(self.texts)]} (#{number})"
        if number % 2:
            await self._post(number, "ask", *self._slash(number, text))
            return
        body = self._mention(number, text)
        await self._post(number, "mention", body, "application/json")
        if number % (2 * REDELIVER_EVERY) == 0:
            await asyncio.sleep(REDELIVER_AFTER)
            retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            await self._post(number, "mention", body, "application/json", retry)

    def _slash(self, number: int, text: str) -> tuple[str, str]:
        fields = {
            "command": "/ask",
            "text": text,
            "team_id": TEAM,
            "channel_id": "C1",
            "user_id": f"U{number % 50}",
            "trigger_id": "trigger",
            "response_url": self.fake.response_url(str(number)),
        }
        return urlencode(fields), "application/x-www-form-urlencoded"

    def _mention(self, number: int, text: str) -> str:
        ts = f"{THREADS}.{number:06d}"
        event = {"type": "app_mention", "user": f"U{number % 50}", "channel": "C1", "ts": ts,
                 "text": f"<@{BOT_USER}> {text}"}  # fmt: skip
        return json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "api_app_id": "A1",
                "event_id": f"Ev{number}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
                "event": event,
            }
        )

    async def _post(
        self,
        number: int,
        kind: str,
        body: str,
        content_type: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        assert self.http is not None
        ts = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._signer.generate_signature(timestamp=ts, body=body),
            **(extra or {}),
        }
        started = time.perf_counter()
        try:
            async with self.http.post(
                f"{self.url}/slack/events",
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        latency = time.perf_counter() - started
        self.sent.append(Sent(number, kind, status, latency, redelivery=bool(extra)))

    # --- the outcome -------------------------------------------------------------------------

    async def settle(self, within: float = 60.0, quiet: float = 2.0) -> None:
        """Until every question is answered and the log queue is empty, or nothing changed for
        ``quiet`` seconds after that, or ``within`` passed."""
        await self.sent_all()
        deadline = time.monotonic() + within
        last, still_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            health = await self.health() or {}
            answered = sum(self.fake.answers().values())
            if answered != last:
                last, still_since = answered, time.monotonic()
            done = all(self.fake.answers()[n] for n in self.questions)
            empty = health.get("log_queue") == 0 and health.get("_status") == 200
            if done and empty and time.monotonic() - still_since >= quiet:
                return
            await asyncio.sleep(0.2)
        self.settled = False

    async def logged(self) -> Counter[int]:
        """Log rows per question number, read from the database itself."""
        engine = create_engine(normalise_database_url(self.database_url, self.root / "data"))
        try:
            async with engine.connect() as conn:
                texts = (await conn.execute(select(question_log.c.question))).scalars().all()
        finally:
            await engine.dispose()
        found: Counter[int] = Counter()
        for text in texts:
            match = NUMBER.search(text)
            if match:
                found[int(match.group(1))] += 1
        return found

    async def finish(self) -> Totals:
        """Stop the process (SIGTERM: it writes what is queued) and count what it did; rows it
        could not write while closing count as dropped (its last words, in its log)."""
        dropped = await self.dropped()
        await self.stop()
        assert self.process is not None
        dropped += sum(int(n) for n in CLOSING_DROPS.findall(self.process.output()))
        return Totals(
            sent=list(self.sent),
            questions=set(self.questions),
            answers=self.fake.answers(),
            apologies=sum(self.fake.answers(apologies=True).values()),
            logged=await self.logged(),
            dropped=dropped,
        )

    def usage(self) -> tuple[float, float]:
        """(CPU seconds so far, peak RSS in MB) of the bot process, from /proc."""
        assert self.process is not None
        pid = self.process.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        peak = 0.0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
        return cpu, peak

    async def stop(self) -> None:
        """Idempotent: after ``finish``, or to clean up after an error."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            await self.sent_all(5)
        if self.process is not None:
            with contextlib.suppress(AssertionError):
                self.exit_status = await self.process.stop(within=30)
        if self.http is not None:
            await self.http.close()
            self.http = None
        await self.fake.close()
