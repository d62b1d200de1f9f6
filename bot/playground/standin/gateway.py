"""The fake gateway: one aiohttp websocket route that discord.py connects to unmodified.

HELLO → IDENTIFY → READY + GUILD_CREATE; heartbeats; RESUME replays missed events; the server
can ask for RECONNECT (op 7), invalidate a session (op 9) or drop the socket. Frames are plain
JSON text unless ``honor_compression`` is set and the client asked for ``zlib-stream``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
_INTENT_NAMES = {
    "members": GUILD_MEMBERS,
    "guild_members": GUILD_MEMBERS,
    "presences": GUILD_PRESENCES,
    "guild_presences": GUILD_PRESENCES,
    "message_content": MESSAGE_CONTENT,
}


def intent_bits(value: int | Iterable[int | str]) -> int:
    """A bitmask from a bitmask, or from an iterable of bits and names ("message_content")."""
    if isinstance(value, int):
        return value
    bits = 0
    for item in value:
        bits |= item if isinstance(item, int) else _INTENT_NAMES[item.lower()]
    return bits


EVENT_INTENTS = {
    "MESSAGE_CREATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "THREAD_CREATE": (GUILDS, GUILDS),
    "CHANNEL_UPDATE": (GUILDS, GUILDS),
}


@dataclass(eq=False)
class GatewaySession:
    id: str
    intents: int
    shard: tuple[int, int]
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    compressor: Any = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ready: bool = False

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    moved: dict[int, int] = field(default_factory=dict)  # the gateway's, shared

    def owns(self, guild_id: int | None) -> bool:
        shard_id, count = self.shard
        if guild_id is not None and guild_id in self.moved:
            return self.moved[guild_id] == shard_id
        return ((guild_id or 0) >> 22) % count == shard_id


class Gateway:
    heartbeat_interval = 41250

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.honor_compression = False
        self.identify_count = 0
        self.resume_count = 0
        self.received: list[dict[str, Any]] = []
        # Guilds whose events go to another shard than their id says, as while Discord
        # reshards: for tests of several bot processes (guild id → shard id).
        self.moved: dict[int, int] = {}

    # --- the websocket ----------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = self.honor_compression and request.query.get("compress") == "zlib-stream"
        compressor = zlib.compressobj() if compress else None
        session: GatewaySession | None = None
        await self._raw_send(
            ws, compressor, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval}}
        )
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            self.received.append(payload)
            op = payload.get("op")
            if op == 1:
                await self._raw_send(ws, compressor, {"op": 11}, session)
            elif op == 2:
                session = await self._identify(ws, compressor, payload["d"])
            elif op == 6:
                session = await self._resume(ws, compressor, payload["d"])
            elif op == 8 and session is not None:
                await self._members_chunk(session, payload["d"])
        if session is not None and session.ws is ws:
            session.ws = None
        self.fake.notify()
        return ws

    async def _raw_send(
        self,
        ws: web.WebSocketResponse,
        compressor: Any,
        payload: dict[str, Any],
        session: GatewaySession | None = None,
    ) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        lock = session.lock if session is not None else asyncio.Lock()
        async with lock:
            if ws.closed:
                return
            if compressor is not None:
                data = compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
                await ws.send_bytes(data)
            else:
                await ws.send_str(text)

    async def _identify(
        self, ws: web.WebSocketResponse, compressor: Any, data: dict[str, Any]
    ) -> GatewaySession | None:
        if data.get("token") != self.fake.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if data.get("intents", 0) & PRIVILEGED_INTENTS & ~self.fake.privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        self.identify_count += 1
        shard = tuple(data.get("shard") or (0, 1))
        session = GatewaySession(
            secrets.token_hex(16), data.get("intents", 0), shard, moved=self.moved
        )
        session.ws, session.compressor = ws, compressor
        self.sessions[session.id] = session
        world = self.fake.world
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**world.bot.to_json(), "verified": True, "mfa_enabled": False},
            "guilds": [
                {"id": str(g), "unavailable": True} for g in world.guilds if session.owns(g)
            ],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.gateway_url,
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "_trace": ["fake-discord"],
        }
        if data.get("shard"):
            ready["shard"] = list(shard)
        await self._send_event(session, "READY", ready)
        for guild_id in world.guilds:
            if session.owns(guild_id):
                await self._send_event(session, "GUILD_CREATE", self.fake.guild_payload(guild_id))
        session.ready = True
        self.fake.notify()
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, compressor: Any, data: dict[str, Any]
    ) -> GatewaySession | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.fake.token:
            await self._raw_send(ws, compressor, {"op": 9, "d": False})
            return None
        self.resume_count += 1
        if session.ws is not None and session.ws is not ws and not session.ws.closed:
            await session.ws.close(code=4000)
        session.ws, session.compressor = ws, compressor
        last = data.get("seq") or 0
        for payload in session.sent[last:]:  # sent[i] has "s" == i + 1
            await self._raw_send(ws, compressor, payload, session)
        await self._send_event(session, "RESUMED", {"_trace": ["fake-discord"]})
        self.fake.notify()
        return session

    async def _members_chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self.fake.world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.to_json() for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "presences": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self._send_event(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send_event(self, session: GatewaySession, event: str, data: Any) -> None:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(payload)
        if session.connected:
            await self._raw_send(session.ws, session.compressor, payload, session)  # type: ignore[arg-type]

    # --- used by the fake ------------------------------------------------------------
    def sessions_for(self, guild_id: int | None) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.ready and s.owns(guild_id)]

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.ready and s.connected]

    async def dispatch(self, event: str, data: Any, *, guild_id: int | None = None) -> int:
        """Send a dispatch to every session that owns the guild and has the intent."""
        wanted = EVENT_INTENTS.get(event)
        count = 0
        for session in self.sessions_for(guild_id):
            if wanted is not None and not session.intents & wanted[0 if guild_id else 1]:
                continue
            payload = data
            if event == "MESSAGE_CREATE" and not session.intents & MESSAGE_CONTENT:
                payload = _without_content(data, self.fake.world.bot.id)
            await self._send_event(session, event, payload)
            count += 1
        return count

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connected session (discord.py then RESUMEs)."""
        for session in self.live_sessions():
            await self._raw_send(session.ws, session.compressor, {"op": 7, "d": None}, session)  # type: ignore[arg-type]

    async def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION (discord.py then IDENTIFYs again unless resumable)."""
        for session in self.live_sessions():
            await self._raw_send(session.ws, session.compressor, {"op": 9, "d": resumable}, session)  # type: ignore[arg-type]
            if not resumable:
                self.sessions.pop(session.id, None)

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every socket abnormally (the client reconnects and RESUMEs)."""
        for session in self.live_sessions():
            await session.ws.close(code=code)  # type: ignore[union-attr]

    async def close(self) -> None:
        for session in list(self.sessions.values()):
            if session.connected:
                await session.ws.close(code=1001)  # type: ignore[union-attr]


def _without_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """Without the MESSAGE_CONTENT intent Discord blanks content unless the bot is involved."""
    author = data.get("author", {}).get("id")
    mentioned = any(m.get("id") == str(bot_id) for m in data.get("mentions", []))
    if author == str(bot_id) or mentioned or not data.get("guild_id"):
        return data
    return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
