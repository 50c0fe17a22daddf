"""A git repository as a knowledge source: a shallow copy under DATA_DIR, fetched on demand.

The git command line does the work (no library to keep up to date), each call with a
timeout and never a prompt. A fetch that fails (remote down, bad ref) leaves the copy as it
was: the bot answers from the last good copy, logs why, and counts the failure.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from bot.knowledge.base import Problem
from bot.knowledge.sources import SourceSpec

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # not on Unix: one worker per DATA_DIR
    fcntl = None

log = logging.getLogger(__name__)

GIT_TIMEOUT = 120.0  # seconds for one git command; a shallow fetch of a FAQ takes a few
_CREDENTIALS = re.compile(r"(://)[^/\s@]+@")
_WEB_HOSTS = {"github.com": "/blob/", "gitlab.com": "/-/blob/"}


class GitError(Exception):
    """A git command failed; the message is git's own last line."""


@dataclass
class RefreshState:
    """How up to date a git source is, for logs and metrics."""

    last_success: float | None = None  # time.time() of the last fetch that worked
    failures: int = 0  # fetches that failed since start
    last_error: str | None = None  # why the last fetch failed; None once one works
    commit: str | None = None  # what the copy holds


def run_git(args: list[str], cwd: Path | None = None, timeout: float = GIT_TIMEOUT) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed; a git+ source needs it") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        message = lines[-1].strip() if lines else f"git {args[0]} failed"
        raise GitError(_CREDENTIALS.sub(r"\1", message))  # never a token in a log
    return done.stdout.strip()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One git command line at a time in a copy, across the workers sharing DATA_DIR."""
    lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with lock_path.open("a") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def public_location(url: str) -> str:
    """The URL without user name or token, fit for logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    return parts._replace(netloc=netloc + (f":{parts.port}" if parts.port else "")).geturl()


def web_base(location: str, ref: str) -> str | None:
    """Where GitHub or GitLab shows the repository's files at ``ref``; None elsewhere."""
    parts = urlsplit(location)
    blob = _WEB_HOSTS.get(parts.hostname or "")
    if parts.scheme not in ("https", "http") or blob is None:
        return None
    path = parts.path.rstrip("/").removesuffix(".git")
    return f"https://{parts.hostname}{path}{blob}{ref}"


class GitSource:
    """A repository's copy in ``DATA_DIR/knowledge/git/<name>``."""

    def __init__(self, spec: SourceSpec, data_dir: Path, base_url: str | None = None) -> None:
        self.spec = spec
        self.checkout = data_dir / "knowledge" / "git" / spec.name
        self.state = RefreshState()
        self._base_url = spec.base_url or base_url
        self._branch = spec.ref  # for links; the remote's default branch when no ref is given
        self._started = False

    @property
    def root(self) -> Path:
        return self.checkout

    @property
    def folder(self) -> Path:
        return self.checkout / self.spec.subfolder if self.spec.subfolder else self.checkout

    @property
    def link_base(self) -> str | None:
        ref = self._branch or self.state.commit or "HEAD"
        return self._base_url or web_base(self.spec.location, ref)

    def ensure(self) -> Problem | None:
        """Fetch (or clone) once, at the first load; then a problem while the last fetch failed.

        Without a fetch, a copy from a run before is used.
        """
        if not self._started:
            self._started = True
            self.refresh()
        if self.state.last_error is None:
            return None
        where = public_location(self.spec.location)
        if self._has_copy():
            return Problem(
                ".",
                0,
                "warning",
                f"could not fetch {where} ({self.state.last_error}); "
                "answering from the copy fetched before",
                self.spec.name,
            )
        return Problem(
            ".", 0, "error", f"could not clone {where}: {self.state.last_error}", self.spec.name
        )

    def refresh(self) -> bool:
        """Fetch the ref and check it out; True when the files changed since this process last
        saw them (another worker sharing DATA_DIR may have checked them out). Failures keep
        the copy."""
        started = time.monotonic()
        try:
            with _exclusive(self.checkout.with_name(f".{self.spec.name}.lock")):
                changed = self._fetch()
        except (GitError, OSError) as exc:  # OSError: DATA_DIR cannot be written
            self.state.failures += 1
            self.state.last_error = str(exc)
            log.warning(
                "knowledge source %s: fetching %s failed (%s); keeping the copy of %s",
                self.spec.name,
                public_location(self.spec.location),
                exc,
                self.state.commit or "nothing yet",
            )
            return False
        self.state.last_success = time.time()
        self.state.last_error = None
        log.debug("fetched %s in %.1f s", self.spec.name, time.monotonic() - started)
        return changed

    def _has_copy(self) -> bool:
        return (self.checkout / ".git").is_dir() and self._head() is not None

    def _head(self) -> str | None:
        try:
            return run_git(["rev-parse", "--verify", "--quiet", "HEAD"], self.checkout) or None
        except GitError:
            return None

    def _fetch(self) -> bool:
        if not (self.checkout / ".git").is_dir():
            self.checkout.mkdir(parents=True, exist_ok=True, mode=0o700)
            run_git(["init", "--quiet"], self.checkout)
        ref = self.spec.ref or "HEAD"
        run_git(
            ["fetch", "--quiet", "--depth", "1", "--no-tags", self.spec.location, ref],
            self.checkout,
        )
        new = run_git(["rev-parse", "FETCH_HEAD^{commit}"], self.checkout)  # a tag names its commit
        head = self._head()
        # What this process answers from: a worker sharing DATA_DIR may have moved the copy.
        old = self.state.commit or head
        if self._branch is None:
            self._branch = self._default_branch()
        self.state.commit = new
        if new == old:
            return False
        if new != head:
            run_git(
                ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--force", new],
                self.checkout,
            )
        log.info(
            "knowledge source %s: now at %s (was %s)",
            self.spec.name,
            new[:12],
            (old or "none")[:12],
        )
        return True

    def _default_branch(self) -> str | None:
        try:
            out = run_git(["ls-remote", "--symref", self.spec.location, "HEAD"], self.checkout)
        except GitError:
            return None
        first = out.splitlines()[0] if out else ""
        if first.startswith("ref: refs/heads/"):
            return first.removeprefix("ref: refs/heads/").split("\t")[0]
        return None
