"""Knowledge that changes while a worker runs: folders to edit, a bare git repository to push to,
a two-course FAQ for channel scoping, and a clock for time-to-answer.

Shared by the end-to-end tests of both platforms (tests/slack/test_slack_knowledge.py,
tests/discord/test_discord_knowledge.py); nothing here knows a platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

PAGE = (
    "# Webinar {n}: {title}\n\n- Date: May {n}, 2026\n- Host: [Test Host](https://example.com/h)\n\n"
    "## Q&A During the Webinar\n\n"
)
QA = "### {q}\n\n{a}\n\n"
FAQ = "---\nid: {id}\nquestion: '{q}'\nsort_order: {n}\n---\n\n{a}\n"

# Long enough to make a tip (bot/knowledge/tipworthy.py: 200 characters of prose).
PROSE = (
    "Plan a fixed weekly slot for the course, keep notes of what you learned, and ask in the "
    "channel when you are stuck for more than an hour: somebody has usually met the same "
    "problem before, and explaining it often shows you the answer."
)

# The same question in two courses, each with its own answer; one question each course alone
# answers; and an entry each that makes a tip.
COURSES = {
    "de-zoomcamp": {
        "name": "Data Engineering Zoomcamp",
        "entries": [
            (
                "d1e1d1e1d1",
                "Homework: When is the homework deadline?",
                "The data engineering homework is due on **Monday at 23:00 CET**, every week.",
            ),
            (
                "d2e2d2e2d2",
                "Kafka: How do I start the Kafka broker for the streaming module?",
                "Run `docker compose up redpanda` in the streaming folder; the broker listens "
                "on port 9092.",
            ),
            (
                "d3e3d3e3d3",
                "How should I plan my study week for the data engineering course?",
                "For data engineering: " + PROSE,
            ),
        ],
    },
    "ml-zoomcamp": {
        "name": "Machine Learning Zoomcamp",
        "entries": [
            (
                "a1b1a1b1a1",
                "Homework: When is the homework deadline?",
                "The machine learning homework is due on **Friday at 18:00 CET**, every week.",
            ),
            (
                "a2b2a2b2a2",
                "BentoML: How do I deploy the churn model with BentoML?",
                "Build a bento with `bentoml build`, then containerize it with "
                "`bentoml containerize churn:latest` and run the image.",
            ),
            (
                "a3b3a3b3a3",
                "How should I plan my study week for the machine learning course?",
                "For machine learning: " + PROSE,
            ),
        ],
    },
}
DE_DEADLINE = "faq/de-zoomcamp/general/001_d1e1d1e1d1#d1e1d1e1d1"
ML_DEADLINE = "faq/ml-zoomcamp/general/001_a1b1a1b1a1#a1b1a1b1a1"
ML_BENTOML = "faq/ml-zoomcamp/general/002_a2b2a2b2a2#a2b2a2b2a2"
ML_ONLY_QUESTION = "how do I deploy the churn model with bentoml?"


def write(path: Path, text: str) -> Path:
    """Save a file the way an editor does: a new file renamed over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def page(n: int, title: str, *qa: tuple[str, str]) -> str:
    return PAGE.format(n=n, title=title) + "".join(QA.format(q=q, a=a) for q, a in qa)


def write_courses(root: Path) -> Path:
    """``root`` as a two-course FAQ (``faq``): de-zoomcamp and ml-zoomcamp."""
    for course, spec in COURSES.items():
        write(
            root / course / "_metadata.yaml",
            f'course: {course}\ncourse_name: "{spec["name"]}"\n'
            'sections:\n  - id: general\n    name: "General"\n',
        )
        for n, (entry_id, question, answer) in enumerate(spec["entries"], start=1):
            write(
                root / course / "general" / f"{n:03d}_{entry_id}.md",
                FAQ.format(id=entry_id, q=question, n=n, a=answer),
            )
    return root


_ADJECTIVES = (
    "nightly hourly frozen shared private remote local legacy staging sandbox mirrored "
    "encrypted compressed"
).split()
_NOUNS = (
    "scheduler warehouse crawler notebook pipeline cluster bucket registry dashboard "
    "gateway tokenizer profiler exporter"
).split()
_PLACES = (
    "Airflow Spark Kafka Terraform Docker Kubernetes BigQuery Snowflake Postgres Grafana "
    "Prefect Redshift Databricks"
).split()


def generated_question(n: int) -> str:
    """The ``n``-th of 2,197 distinct questions (n < 13**3)."""
    adjective, noun, place = (
        _ADJECTIVES[n % 13],
        _NOUNS[(n // 13) % 13],
        _PLACES[(n // 169) % 13],
    )
    return f"How do I configure the {adjective} {noun} for {place}?"


def generated_pages(folder: Path, entries: int, version: str, per_page: int = 50) -> None:
    """``entries`` generated webinar entries, ``per_page`` a file; each answer names the
    ``version`` (and each question's anchor too, so that two versions share no entry id)."""
    for first in range(0, entries, per_page):
        qa = [
            (
                f"{generated_question(i)} ({version})",
                f"Set the {version} options in the config file of entry {i}, then restart "
                f"the service [{version}].",
            )
            for i in range(first, min(first + per_page, entries))
        ]
        write(folder / f"gen-{first:06d}.md", page(1 + first // per_page, "Generated", *qa))


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Host", "-c", "user.email=host@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


class Remote:
    """A bare repository (the host's) and a working copy the course host pushes from."""

    def __init__(self, root: Path, name: str = "course-notes") -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.bare = root / f"{name}.git"
        self.work = root / f"{name}-work"
        git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(self.bare))
        git(root, "init", "--quiet", "--initial-branch=main", str(self.work))
        git(self.work, "remote", "add", "origin", str(self.bare))

    @property
    def url(self) -> str:
        return f"git+{self.bare.as_uri()}"

    def push(self, path: str, text: str, *, branch: str = "main") -> str:
        file = self.work / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "-m", f"add {path}")
        git(self.work, "push", "--quiet", "origin", f"HEAD:{branch}")
        return git(self.work, "rev-parse", "HEAD")

    def delete_branch(self, branch: str) -> None:
        git(self.work, "push", "--quiet", "origin", f":{branch}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(
    attempt: Callable[[], Awaitable[T | None]], within: float, *, pause: float = 0.05
) -> tuple[T, float]:
    """Call ``attempt`` until it returns something; that and the seconds it took.

    Fails the test after ``within`` seconds, saying what the last attempt returned.
    """
    started = time.monotonic()
    while True:
        result = await attempt()
        elapsed = time.monotonic() - started
        if result is not None:
            return result, elapsed
        if elapsed > within:
            raise AssertionError(f"not answered within {within} s")
        await asyncio.sleep(pause)


@dataclass
class Timings:
    """Measured times, printed at the end of a module (``pytest -s`` shows them)."""

    title: str
    rows: list[tuple[str, float, float | None]] = field(default_factory=list)

    def add(self, what: str, seconds: float, target: float) -> float:
        """A time to answer, checked against its target."""
        self.rows.append((what, seconds, target))
        assert seconds <= target, f"{what}: {seconds:.2f} s, the target is {target:.0f} s"
        return seconds

    def note(self, what: str, seconds: float) -> None:
        """A figure worth reading, not checked."""
        self.rows.append((what, seconds, None))

    def report(self) -> str:
        lines = [f"\n{self.title}: seconds (target)"]
        for what, seconds, target in self.rows:
            aim = f" ({target:g})" if target is not None else ""
            lines.append(f"  {what}: {seconds:.2f}{aim}")
        return "\n".join(lines)


class QabotProcess:
    """``python -m bot ARGS`` with ``env`` (the test's own environment under it), output in a
    file; the test's event loop keeps serving the fake platforms meanwhile."""

    def __init__(self, args: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0.0

    async def start(self) -> QabotProcess:
        self.started = time.monotonic()
        with self.log_path.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *self.args, env=self.env, stdout=out, stderr=out
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, text: str, within: float = 30.0) -> float:
        """Seconds since start when ``text`` appeared in the output."""

        async def seen() -> bool | None:
            if text in self.output():
                return True
            if not self.running:
                raise AssertionError(f"qabot exited:\n{self.output()}")
            return None

        try:
            await eventually(seen, within)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {text!r} not logged:\n{self.output()}") from None
        return time.monotonic() - self.started

    async def stop(self, within: float = 10.0) -> int:
        """SIGTERM, then the exit status; killed (and the test fails) past ``within``."""
        if self.process is None:
            return 0
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(within):
                return await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(
                f"qabot did not stop within {within} s:\n{self.output()}"
            ) from None


async def qabot_command(env: Mapping[str, str], *args: str) -> tuple[int, str]:
    """Run a ``qabot`` command to its end: exit status, and its output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()
