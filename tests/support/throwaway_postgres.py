"""A PostgreSQL server of the tests' own, to stop, kill, freeze and thaw: for fault tests.

``throwaway_postgres`` gives each test a fresh database on a server started once per session
(``initdb`` takes seconds) on a free port. The test may stop, start, kill, freeze and thaw the
server; it is thawed and running again for the next test. Import the fixture into a conftest
to use it::

    from tests.support.throwaway_postgres import throwaway_postgres  # noqa: F401

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user. Without its
binaries the tests that use it are skipped with the reason (they fail instead when
QABOT_REQUIRE_POSTGRES=1, as in CI).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
START_WITHIN = 20.0  # seconds, crash recovery included


class PostgresServer:
    """One server in ``root``; every method returns once the change has happened.

    The postmaster is this process's child, started directly (not daemonised by pg_ctl, nor
    under runuser, which stops itself when its child is stopped): a container's init may never
    reap a killed postmaster, and its pid left in postmaster.pid would block the next start.
    """

    def __init__(self, root: Path, port: int, run_as: str | None) -> None:
        self.root = root
        self.data = root / "data"
        self.port = port
        self.run_as = run_as
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        # fsync off keeps tests fast and loses nothing when only the server process dies;
        # synchronous_commit stays on, or a killed server would lose commits the client saw.
        options = ["-p", str(self.port), "-k", str(self.root), "-c", "listen_addresses=127.0.0.1",
                   "-c", "fsync=off", "-c", "full_page_writes=off"]  # fmt: skip
        with (self.root / "log").open("ab") as log:
            self._process = subprocess.Popen(
                [str(_bin("postgres")), "-D", str(self.data), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self.run_as,
                group=self.run_as,
            )
        ready = [str(_bin("pg_isready")), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        deadline = time.monotonic() + START_WITHIN
        while subprocess.run(ready, check=False).returncode != 0:
            if not self.running or time.monotonic() > deadline:
                tail = (self.root / "log").read_text(errors="replace")[-2000:]
                raise AssertionError(f"PostgreSQL did not start:\n{tail}")
            time.sleep(0.02)

    def stop(self) -> None:
        """An immediate shutdown (SIGQUIT)."""
        self.thaw()
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGQUIT)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the server and its backends, as a crash or an OOM kill would."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._reap()

    def freeze(self) -> None:
        """SIGSTOP the server and its backends: connections stay open, nothing answers."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in reversed(self._pids()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        _run_as(self.run_as, str(_bin("createdb")), "-h", "127.0.0.1", "-p", str(self.port),
                "-U", "postgres", name)  # fmt: skip
        return name

    def _reap(self) -> None:
        if self._process is not None:
            self._process.wait(timeout=START_WITHIN)
            self._process = None

    def _pids(self) -> list[int]:
        """The postmaster first (so that it starts no new backend), then its children."""
        if not self.running or self._process is None:
            return []
        postmaster = self._process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]


class ThrowawayPostgres:
    """A test's own database (``url``) on the session's server, which it may disrupt."""

    def __init__(self, server: PostgresServer, database: str) -> None:
        self.server = server
        self.url = server.url(database)

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def kill(self) -> None:
        self.server.kill()

    def freeze(self) -> None:
        self.server.freeze()

    def thaw(self) -> None:
        self.server.thaw()


@pytest.fixture
def throwaway_postgres(request: pytest.FixtureRequest) -> Iterator[ThrowawayPostgres]:
    server = _server(request.config)
    yield ThrowawayPostgres(server, server.create_database())
    server.thaw()
    if not server.running:
        server.start()


_SERVER = pytest.StashKey[PostgresServer]()


def _server(config: pytest.Config) -> PostgresServer:
    if _SERVER in config.stash:
        return config.stash[_SERVER]
    reason = unavailable()
    if reason:
        if os.environ.get("QABOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (QABOT_REQUIRE_POSTGRES=1: CI must run these tests)")
        pytest.skip(reason)
    server = create_server()
    config.add_cleanup(lambda: remove_server(server))
    config.stash[_SERVER] = server
    return server


def create_server() -> PostgresServer:
    """A new server in a temporary folder, started; ``remove_server`` when done. Outside
    pytest too (``scripts/load_and_faults.py``); check ``unavailable()`` first."""
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="qabot-pg-"))
    if run_as is not None:
        shutil.chown(root, run_as, run_as)
    server = PostgresServer(root, _free_port(), run_as)
    _run_as(run_as, str(_bin("initdb")), "-D", str(server.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
    server.start()
    return server


def remove_server(server: PostgresServer) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


def unavailable() -> str | None:
    """Why no throwaway server can be started here, or None."""
    if not BIN_DIRS:
        return "PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run PostgreSQL as"
    return None


def _bin(program: str) -> Path:
    return BIN_DIRS[0] / program


def _run_as(user: str | None, *command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60, user=user, group=user)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
