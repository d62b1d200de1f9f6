"""Guild-owned CometAPI keys, for private team servers (faults.md 26).

A key is checked at save (its format, then one authenticated call upstream), stored only
encrypted (AES-GCM under a key derived from MASTER_KEY) and bound to its guild: the guild id
is the cipher's associated data, so a ciphertext copied to another guild's row does not
decrypt. A key that cannot be read (MASTER_KEY changed, a copied row) disables that guild's
jobs loudly — an error in the log and a sentence to the user — and is never silently replaced
by the operator's key. A key is never echoed back, and every key loaded is registered with
the log filter so no line can show it.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.cometapi import errors as api
from bot.cometapi.client import CometAPIClient, CometAPIPool
from bot.db import Database
from bot.errors import Refused
from bot.log import register_secret

log = logging.getLogger(__name__)

_VERSION = b"k1"
_FORMAT = re.compile(r"[\x21-\x7e]{8,200}")  # what an HTTP header can carry, no spaces
# Any id will do: a valid key gets "unknown task", an invalid one 401/403.
_PROBE_TASK = "1000000000000000"


@dataclass(frozen=True, slots=True)
class KeyStatus:
    state: str  # "none" | "set" | "unreadable" | "disabled" (no MASTER_KEY)
    hint: str | None = None  # "sk-…abcd": never more of the key
    last_used: float | None = None  # since this process started
    last_error: str | None = None  # a sentence key of bot/messages.py


def _cipher(master_key: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"mjbot guild api keys v1"
    ).derive(master_key.encode())
    return AESGCM(derived)


def _bound_to(guild_id: int) -> bytes:
    return f"mjbot guild {guild_id}".encode()


class GuildKeys:
    def __init__(
        self,
        db: Database,
        master_key: str | None,
        check: Callable[[str], Awaitable[None]],
    ) -> None:
        self.db = db
        self._cipher = _cipher(master_key) if master_key else None
        self._check = check
        self._warned: set[int] = set()
        # For the status line; since this process started (nothing about a key is stored
        # in the clear, and "last used" changes too often to be worth a write).
        self._used: dict[int, float] = {}
        self._errors: dict[int, str] = {}
        self._hints: dict[int, str] = {}

    @property
    def enabled(self) -> bool:
        return self._cipher is not None

    async def save(self, guild_id: int, raw: str) -> None:
        """Check and store a guild's key; Refused with the reason, the key never repeated."""
        if self._cipher is None:
            raise Refused("key.no_master")
        key = raw.strip()  # pasted keys often carry spaces or a newline
        if not _FORMAT.fullmatch(key):
            raise Refused("key.invalid_format")
        try:
            await self._check(key)
        except Refused as exc:
            self._errors[guild_id] = exc.key
            raise
        register_secret(key)
        self._errors.pop(guild_id, None)
        nonce = os.urandom(12)
        blob = _VERSION + nonce + self._cipher.encrypt(nonce, key.encode(), _bound_to(guild_id))
        await self.db.guilds.set_api_key_ciphertext(guild_id, blob)
        self._warned.discard(guild_id)

    async def remove(self, guild_id: int) -> None:
        await self.db.guilds.set_api_key_ciphertext(guild_id, None)

    async def has_key(self, guild_id: int) -> bool:
        return (await self.db.guilds.get(guild_id)).api_key_encrypted is not None

    async def load(self, guild_id: int) -> str | None:
        """The guild's own key, None if it has none; Refused("key.unreadable") if it has one
        that cannot be read — its jobs stop rather than run on the operator's key."""
        blob = (await self.db.guilds.get(guild_id)).api_key_encrypted
        if blob is None:
            return None
        try:
            if self._cipher is None or not blob.startswith(_VERSION):
                raise InvalidTag
            nonce, sealed = blob[2:14], blob[14:]
            key = bytes(self._cipher.decrypt(nonce, sealed, _bound_to(guild_id))).decode()
        except InvalidTag:
            self._errors[guild_id] = "key.unreadable"
            if guild_id not in self._warned:  # loudly, once per guild and process
                self._warned.add(guild_id)
                log.error(
                    "guild %d has its own CometAPI key but it cannot be decrypted (MASTER_KEY "
                    "missing or changed, or the row was copied): its jobs are refused until "
                    "an admin sets the key again",
                    guild_id,
                )
            raise Refused("key.unreadable") from None
        register_secret(key)
        self._hints[guild_id] = hint(key)
        return key

    def note_used(self, guild_id: int, when: float) -> None:
        self._used[guild_id] = when

    async def status(self, guild_id: int) -> KeyStatus:
        """For the admin status line: state, a hint ("sk-…abcd"), last use, last error."""
        error = self._errors.get(guild_id)
        if not await self.has_key(guild_id):
            return KeyStatus("disabled" if self._cipher is None else "none", last_error=error)
        try:
            await self.load(guild_id)
            state = "set"
        except Refused:
            state = "unreadable"
        return KeyStatus(state, self._hints.get(guild_id), self._used.get(guild_id), error)

    async def unreadable(self, guild_ids: list[int]) -> list[int]:
        """Of these guilds, those whose stored key cannot be read (checked at start)."""
        bad = []
        for guild_id in guild_ids:
            try:
                await self.load(guild_id)
            except Refused:
                bad.append(guild_id)
        return bad


def hint(key: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    head = key[:3] if key.startswith("sk-") else ""
    return f"{head}…{key[-4:]}"


def upstream_check(pool: CometAPIPool) -> Callable[[str], Awaitable[None]]:
    """One authenticated read with the key: refused → "key.rejected"; unanswered → "try again"."""

    async def check(key: str) -> None:
        try:
            await pool.client(key).fetch(_PROBE_TASK)
        except api.AuthError:
            raise Refused("key.rejected") from None
        except api.CometAPIError:
            raise Refused("key.unverified") from None
        except ValueError:  # the client refuses a key no header can carry
            raise Refused("key.invalid_format") from None

    return check


class GuildClients:
    """The CometAPI client for each job: the guild's own key where it set one, else the
    operator's. `scope_for` is stored with the job, so a job keeps the key it was paid with."""

    def __init__(self, pool: CometAPIPool, operator_key: str, keys: GuildKeys) -> None:
        self.pool = pool
        self.keys = keys
        self._operator = pool.client(operator_key)
        self._clients: dict[tuple[int, str], CometAPIClient] = {}

    async def scope_for(self, guild_id: int | None) -> int | None:
        if guild_id is None or not await self.keys.has_key(guild_id):
            return None
        await self.keys.load(guild_id)  # refuse now, before any charge, if it is unreadable
        return guild_id

    async def client_for(self, key_scope: int | None) -> CometAPIClient:
        if key_scope is None:
            return self._operator
        key = await self.keys.load(key_scope)
        self.keys.note_used(key_scope, time.time())
        if key is None:  # removed since the job started: its tasks are not ours to poll
            raise Refused("key.unreadable")
        client = self._clients.get((key_scope, key))
        if client is None:
            self._clients = {k: c for k, c in self._clients.items() if k[0] != key_scope}
            client = self._clients[(key_scope, key)] = self.pool.client(key)
        return client
