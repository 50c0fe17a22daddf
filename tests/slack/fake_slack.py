"""A local fake of the Slack Web API, response_url endpoints and the Socket Mode websocket.

It records every call, so tests assert on what a user would see. It runs on 127.0.0.1 with a
random port; failures (429) and slow replies can be scripted per method.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T1"


@dataclass
class Call:
    method: str  # Web API method, or "response_url"
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    _failures: dict[str, list[int]] = field(default_factory=dict)
    _gates: dict[str, asyncio.Event] = field(default_factory=dict)
    _hangs: dict[str, int] = field(default_factory=dict)
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    base: str = ""
    refuse_token: bool = False  # answer auth.test with invalid_auth
    # Messages posted with chat.postMessage, oldest first, per channel (conversations.history).
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # history and getPermalink are GETs
        app.router.add_post("/response_url/{rid}", self._response_url)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        self._closing.set()
        for gate in self._gates.values():  # never leave a held request hanging the teardown
            gate.set()
        for socket in self._sockets:
            await socket.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.base}/api"  # no trailing slash on purpose: the adapter must add it

    def response_url(self, rid: str) -> str:
        return f"{self.base}/response_url/{rid}"

    # --- scripting ---------------------------------------------------------------------

    def fail(self, method: str, *statuses: int) -> None:
        """Answer the next calls of ``method`` with these HTTP statuses (429 adds Retry-After)."""
        self._failures.setdefault(method, []).extend(statuses)

    def recover(self, method: str) -> None:
        """Forget the failures and hangs still scripted for ``method``."""
        self._failures.pop(method, None)
        self._hangs.pop(method, None)

    def hang(self, method: str, times: int = 1) -> None:
        """Never answer the next ``times`` calls of ``method`` (until the fake closes); they
        are not delivered, like a request lost on the way."""
        self._hangs[method] = self._hangs.get(method, 0) + times

    def hold(self, method: str) -> asyncio.Event:
        """Keep calls of ``method`` waiting until the returned event is set."""
        gate = self._gates[method] = asyncio.Event()
        return gate

    # --- inspection --------------------------------------------------------------------

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.payload for c in self.calls if c.method == method]

    def attempts(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == f"{method}:attempt")

    # --- handlers ----------------------------------------------------------------------

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        raw = await request.text()
        if request.content_type == "application/json":
            return json.loads(raw) if raw else {}
        return dict(parse_qsl(raw))

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        payload = await self._payload(request)
        headers = dict(request.headers)
        self.calls.append(Call(f"{method}:attempt", headers, payload))
        if self._hangs.get(method):
            self._hangs[method] -= 1
            await self._closing.wait()
            return web.json_response({"ok": False, "error": "fatal_error"}, status=503)
        failures = self._failures.get(method)
        if failures:
            status = failures.pop(0)
            retry = {"Retry-After": "0"} if status == 429 else {}
            error = "ratelimited" if status == 429 else "fatal_error"
            return web.json_response({"ok": False, "error": error}, status=status, headers=retry)
        gate = self._gates.get(method)
        if gate is not None:
            await gate.wait()
        self.calls.append(Call(method, headers, payload))
        return web.json_response(self._reply(method, payload))

    def _reply(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test" and self.refuse_token:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {"ok": True, "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "url": ""}
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            self._remember(ts, payload)
            return {"ok": True, "channel": payload.get("channel"), "ts": ts, "message": payload}
        if method == "conversations.history":
            return self._history(payload)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "chat.getPermalink":
            ts = str(payload.get("message_ts", "")).replace(".", "")
            link = f"https://fake.slack.com/archives/{payload.get('channel')}/p{ts}"
            return {"ok": True, "channel": payload.get("channel"), "permalink": link}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"{self.base.replace('http', 'ws')}/link"}
        return {"ok": True}

    def _remember(self, ts: str, payload: dict[str, Any]) -> None:
        # As Slack stores it: metadata (a JSON string in form bodies) comes back as an object.
        message = {"type": "message", "ts": ts, "bot_id": BOT_ID, "text": payload.get("text", "")}
        metadata = payload.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        self.history.setdefault(str(payload.get("channel")), []).append(message)

    def _history(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Newest first, from ``oldest`` on; metadata only with ``include_all_metadata``."""
        oldest = float(payload.get("oldest") or 0)
        limit = int(payload.get("limit") or 100)
        with_metadata = str(payload.get("include_all_metadata")).lower() in ("1", "true")
        found = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in reversed(self.history.get(str(payload.get("channel")), []))
            if float(m["ts"]) > oldest
        ]
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}

    async def _response_url(self, request: web.Request) -> web.Response:
        payload = await self._payload(request)
        self.calls.append(Call("response_url", dict(request.headers), payload))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return socket

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to every connected client."""
        for socket in self._sockets:
            await socket.send_json(envelope)

    @property
    def connected(self) -> bool:
        return any(not s.closed for s in self._sockets)


async def wait_for(predicate: Callable[[], object], within: float = 5.0) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)
