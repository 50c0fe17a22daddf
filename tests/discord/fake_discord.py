"""A local fake of Discord's REST API and gateway, on 127.0.0.1 and a random port.

It records every REST request the real discord.py client sends, answers with the minimal
payloads discord.py parses, and lets a test push gateway events (MESSAGE_CREATE, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 900000000000000001
BOT_ID = 900000000000000001
GUILD_ID = 100000000000000001
CHANNEL_ID = 200000000000000001
USER_ID = 300000000000000001
TOKEN = "fake-token"
TIMESTAMP = "2026-11-27T08:00:00.000000+00:00"
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15

BOT_USER = {
    "id": str(BOT_ID),
    "username": "CourseBot",
    "global_name": None,
    "discriminator": "0",
    "avatar": None,
    "bot": True,
    "flags": 0,
}


def user(user_id: int = USER_ID, name: str = "alice", *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


def member(user_payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "user": user_payload,
        "roles": [],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": "2248473465835073",
    }


CHANNEL = {
    "id": str(CHANNEL_ID),
    "type": 0,
    "guild_id": str(GUILD_ID),
    "name": "general",
    "position": 0,
    "permission_overwrites": [],
    "nsfw": False,
    "topic": None,
    "last_message_id": None,
    "rate_limit_per_user": 0,
    "parent_id": None,
    "flags": 0,
}

GUILD = {
    "id": str(GUILD_ID),
    "name": "Course",
    "icon": None,
    "owner_id": str(USER_ID),
    "afk_timeout": 300,
    "verification_level": 0,
    "default_message_notifications": 0,
    "explicit_content_filter": 0,
    "mfa_level": 0,
    "nsfw_level": 0,
    "premium_tier": 0,
    "system_channel_flags": 0,
    "preferred_locale": "en-US",
    "features": [],
    "emojis": [],
    "stickers": [],
    "roles": [
        {
            "id": str(GUILD_ID),
            "name": "@everyone",
            "permissions": "2248473465835073",
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
    ],
    "channels": [CHANNEL],
    "members": [member(BOT_USER)],
    "member_count": 2,
    "large": False,
    "unavailable": False,
    "joined_at": TIMESTAMP,
    "voice_states": [],
    "presences": [],
    "threads": [],
    "stage_instances": [],
    "guild_scheduled_events": [],
}


def message(
    message_id: int,
    *,
    content: str = "",
    author: dict[str, Any] | None = None,
    channel_id: int = CHANNEL_ID,
    mentions: list[dict[str, Any]] | None = None,
    mention_everyone: bool = False,
    mention_roles: list[str] | None = None,
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    flags: int = 0,
    guild: bool = True,
) -> dict[str, Any]:
    """A MESSAGE_CREATE payload (also the body of a created message)."""
    author = author or user()
    payload: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": mentions or [],
        "mention_roles": mention_roles or [],
        "attachments": [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "type": 0,
        "flags": flags,
    }
    if guild:
        payload["guild_id"] = str(GUILD_ID)
        payload["member"] = {k: v for k, v in member(author).items() if k != "user"}
    return payload


@dataclass(frozen=True)
class Call:
    """One REST request the client sent."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any


class FakeDiscord:
    """A fake Discord: start it, then point the client at ``api_url`` and ``gateway_url``."""

    def __init__(self, token: str = TOKEN, first_id: int = 700000000000000001) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.identify: dict[str, Any] | None = None
        self.messages: dict[int, dict[str, Any]] = {}  # messages the bot created, by id
        # Ids are snowflakes: a test that reads messages by time passes a first_id made from a time.
        self._ids = itertools.count(first_id)
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self._failures: list[tuple[str, re.Pattern[str], int]] = []
        self._hangs: list[tuple[str, re.Pattern[str]]] = []
        self._gates: list[tuple[str, re.Pattern[str], asyncio.Event]] = []
        self._closing = asyncio.Event()
        self.port = 0
        self._query: dict[str, str] = {}

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gw", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        self._closing.set()
        for *_, gate in self._gates:  # never leave a held request hanging the teardown
            gate.set()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gw"

    def next_id(self) -> int:
        return next(self._ids)

    def fail_next(self, method: str, pattern: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with an error ``status`` (403, 500, 429
        with a zero ``retry_after``)."""
        self._failures.extend([(method, re.compile(pattern), status)] * times)

    def hang_next(self, method: str, pattern: str) -> None:
        """Never answer the next matching request (until the fake closes); it is not created."""
        self._hangs.append((method, re.compile(pattern)))

    def hold(self, method: str, pattern: str) -> asyncio.Event:
        """Keep matching requests waiting until the returned event is set."""
        gate = asyncio.Event()
        self._gates.append((method, re.compile(pattern), gate))
        return gate

    def recover(self) -> None:
        """Forget every failure and hang still scripted."""
        self._failures.clear()
        self._hangs.clear()

    # --- assertions ------------------------------------------------------------------------

    def find(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method and regex.fullmatch(c.path)]

    async def wait_for(
        self, method: str, pattern: str, *, count: int = 1, within: float = 5.0
    ) -> list[Call]:
        """The first ``count`` matching calls, waiting until they have arrived."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.find(method, pattern)) >= count)
        return self.find(method, pattern)[:count]

    async def wait_connected(self, within: float = 5.0) -> None:
        """Until a client has identified and received READY."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: bool(self._sockets))

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # --- gateway ---------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to every connected client."""
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        for ws in list(self._sockets):
            await ws.send_str(json.dumps(frame))

    async def send_raw(self, frame: str) -> None:
        """Send a text frame as is (even one that is not JSON) to every connected client."""
        for ws in list(self._sockets):
            await ws.send_str(frame)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                break
            payload = json.loads(frame.data)
            if payload["op"] == 1:  # heartbeat
                await ws.send_json({"op": 11})
            elif payload["op"] == 2:  # identify
                self.identify = payload["d"]
                if payload["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                await self._ready(ws)
                async with self._changed:
                    self._sockets.append(ws)
                    self._changed.notify_all()
        with contextlib.suppress(ValueError):
            self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
        }
        for event, data in (("READY", ready), ("GUILD_CREATE", GUILD)):
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    # --- REST ------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body = await request.read()
        data = json.loads(body) if body and request.content_type == "application/json" else None
        await self._record(Call(request.method, path, dict(request.query), data))
        self._query = dict(request.query)  # for the handlers that read it (no await below)
        if request.headers.get("Authorization") not in (f"Bot {self.token}", None):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        for method, pattern, gate in self._gates:
            if method == request.method and pattern.fullmatch(path):
                await gate.wait()
        for hang in self._hangs:
            if hang[0] == request.method and hang[1].fullmatch(path):
                self._hangs.remove(hang)
                await self._closing.wait()
                return _json({"message": "gone", "code": 0}, status=503)
        for failure in self._failures:
            if failure[0] == request.method and failure[1].fullmatch(path):
                self._failures.remove(failure)
                if failure[2] == 429:  # as Discord's edge sends it: discord.py waits, retries
                    limited = {"message": "You are being rate limited.", "retry_after": 0.01}
                    return _json({**limited, "global": False}, status=429, via=True)
                return _json({"message": f"fake error {failure[2]}", "code": 0}, status=failure[2])
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if method == request.method and match:
                result = handler(data, *match.groups())
                if result is None:
                    return web.Response(status=204)
                return _json(result)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", r"/users/@me", lambda _d: BOT_USER),
            ("GET", r"/oauth2/applications/@me", lambda _d: _application()),
            ("PUT", r"/applications/(\d+)/commands", self._commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._commands),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("GET", r"/channels/(\d+)/messages", self._channel_messages),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._edit_webhook_message),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", lambda *_a: None),
        ]

    def _commands(self, data: Any, app_id: str, guild_id: str | None = None) -> list[Any]:
        commands = []
        for command in data or []:
            created = {"id": str(self.next_id()), "application_id": app_id, "version": "1"}
            if guild_id:
                created["guild_id"] = guild_id
            commands.append({"type": 1, "options": [], **command, **created})
        return commands

    def _bot_message(self, data: Any, channel_id: str, flags: int = 0) -> dict[str, Any]:
        data = data or {}
        created = message(
            self.next_id(),
            content=data.get("content") or "",
            author=BOT_USER,
            channel_id=int(channel_id),
            embeds=data.get("embeds"),
            components=data.get("components"),
            flags=flags | int(data.get("flags") or 0),
        )
        reference = data.get("message_reference")
        if reference:  # a reply: Discord returns what it replies to
            created["message_reference"] = {"channel_id": channel_id, **reference}
        self.messages[int(created["id"])] = created
        return created

    def _create_message(self, data: Any, channel_id: str) -> dict[str, Any]:
        return self._bot_message(data, channel_id)

    def _channel_messages(self, _data: Any, channel_id: str) -> list[dict[str, Any]]:
        """Newest first, like Discord (``after``, ``before``, ``limit`` from the query)."""
        query = self._query
        after = int(query.get("after", 0))
        before = int(query.get("before", 2**63))
        found = [
            m
            for message_id, m in sorted(self.messages.items())
            if m["channel_id"] == channel_id and after < message_id < before
        ]
        limit = int(query.get("limit", 50))
        # With ``after``, the messages right after it; else the latest. Either way newest first.
        chosen = found[:limit] if "after" in query else found[-limit:]
        return chosen[::-1]

    def _callback(self, data: Any, interaction_id: str, _token: str) -> dict[str, Any]:
        kind = data["type"]
        inner = data.get("data") or {}
        ephemeral = bool(int(inner.get("flags") or 0) & 64)
        response: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            },
            "resource": {"type": kind},
        }
        if kind in (4, 5):
            created = self._bot_message(inner, str(CHANNEL_ID))
            response["interaction"]["response_message_id"] = created["id"]
            response["resource"]["message"] = created
        return response

    def _followup(self, data: Any, _app_id: str, _token: str) -> dict[str, Any]:
        return self._bot_message(data, str(CHANNEL_ID))

    def _edit_webhook_message(
        self, data: Any, _app_id: str, _token: str, _message: str
    ) -> dict[str, Any]:
        return self._bot_message(data, str(CHANNEL_ID))


def _application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "CourseBot",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(USER_ID, "owner"),
        "verify_key": "0" * 64,
        "flags": 0,
    }


def _json(payload: Any, status: int = 200, *, via: bool = False) -> web.Response:
    # discord.py decodes JSON only for exactly "application/json" (no charset); it trusts a
    # 429 only with a Via header (without one it is a Cloudflare ban).
    headers = {"Content-Type": "application/json"}
    if via:
        headers["Via"] = "1.1 google"
    return web.Response(body=json.dumps(payload).encode(), status=status, headers=headers)


# --- interaction payloads ------------------------------------------------------------------


def _interaction(kind: int, data: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
    interaction_id = next(_interaction_ids)
    return {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"itok-{interaction_id}",
        "version": 1,
        "guild_id": str(GUILD_ID),
        "channel_id": str(CHANNEL_ID),
        "channel": CHANNEL,
        "member": member(who),
        "data": data,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": "2248473465835073",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "attachment_size_limit": 8388608,
    }


_interaction_ids = itertools.count(800000000000000001)


def slash(
    name: str,
    options: dict[str, str] | None = None,
    *,
    who: dict[str, Any] | None = None,
    focused: str | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE for /name (type 2), or its autocomplete (type 4) if ``focused``."""
    opts = [
        {"name": key, "type": 3, "value": value, **({"focused": True} if key == focused else {})}
        for key, value in (options or {}).items()
    ]
    data = {"id": "600000000000000001", "name": name, "type": 1, "options": opts}
    return _interaction(4 if focused else 2, data, who or user())


def click(
    msg: dict[str, Any], custom_id: str, *, who: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An INTERACTION_CREATE for a button click (type 3) on ``msg``."""
    payload = _interaction(3, {"custom_id": custom_id, "component_type": 2}, who or user())
    payload["message"] = msg
    return payload


def custom_ids(msg: dict[str, Any]) -> list[str]:
    """The custom_ids of a message's buttons, in order."""
    return [
        button["custom_id"]
        for row in msg.get("components") or []
        for button in row.get("components", [])
        if "custom_id" in button
    ]
