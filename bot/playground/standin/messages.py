"""Stored messages and attachments: what the bot posted, as users would see it."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from .attachments import AttachmentStore, StoredAttachment, Upload
from .errors import INVALID_FORM_BODY, ApiError
from .limits import COMPONENTS_V2, EPHEMERAL, LOADING
from .model import UserRecord, iso

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
SETTABLE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2


def clean(value: Any) -> Any:
    """A deep copy without ``None`` values, as Discord echoes components and embeds back."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def walk_components(components: list[Any]) -> Iterator[dict[str, Any]]:
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


def number_components(components: list[Any]) -> list[Any]:
    """Give every component a numeric ``id`` like Discord does (keeping ones the bot chose)."""
    components = clean(components)
    used = {c["id"] for c in walk_components(components) if isinstance(c.get("id"), int)}
    counter = 0
    for component in walk_components(components):
        if "id" not in component:
            counter += 1
            while counter in used:
                counter += 1
            component["id"] = counter
    return components


class FakeMessage:
    """A message as the fake stores it; tests read it, edits update it in place."""

    def __init__(
        self,
        *,
        id: int,
        channel_id: int,
        guild_id: int | None,
        author: UserRecord,
        timestamp: float,
        type: int = 0,
        webhook_id: int | None = None,
        application_id: int | None = None,
    ) -> None:
        self.id = id
        self.channel_id = channel_id
        self.guild_id = guild_id
        self.author = author
        self.timestamp = timestamp
        self.type = type
        self.webhook_id = webhook_id
        self.application_id = application_id
        self.content = ""
        self.embeds: list[dict[str, Any]] = []
        self.components: list[dict[str, Any]] = []
        self.attachments: list[StoredAttachment] = []
        self.flags = 0
        self.ephemeral_for: int | None = None
        self.interaction_metadata: dict[str, Any] | None = None
        self.message_reference: dict[str, Any] | None = None
        self.reactions: dict[str, list[int]] = {}
        self.edited_timestamp: float | None = None
        self.history: list[dict[str, Any]] = []
        self.deleted = False
        self.thread_id: int | None = None
        self.nonce: str | None = None
        self.allowed_mentions: dict[str, Any] | None = None
        self.pings: set[str] = set()
        self.all_pings: set[str] = set()

    def __repr__(self) -> str:
        return f"<FakeMessage id={self.id} channel={self.channel_id} text={self.text[:60]!r}>"

    # --- reading -----------------------------------------------------------------------
    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def components_v2(self) -> bool:
        return bool(self.flags & COMPONENTS_V2)

    @property
    def edits(self) -> int:
        return len(self.history)

    @property
    def text(self) -> str:
        """Content, embed texts and text displays joined by newlines (for assertions)."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            parts += [str(embed[k]) for k in ("title", "description") if embed.get(k)]
            for fld in embed.get("fields") or []:
                parts += [str(fld.get("name", "")), str(fld.get("value", ""))]
            if (embed.get("footer") or {}).get("text"):
                parts.append(embed["footer"]["text"])
        for component in self.iter_components():
            if component.get("type") == 10:
                parts.append(component.get("content", ""))
        return "\n".join(parts)

    def iter_components(self) -> Iterator[dict[str, Any]]:
        return walk_components(self.components)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in self.iter_components() if c.get("type") == 2]

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.iter_components() if "custom_id" in c]

    def find_component(self, target: str | int) -> dict[str, Any]:
        """A component by custom_id, label, emoji (name or ``<:name:id>``), or numeric id."""
        candidates = list(self.iter_components())
        for key in ("custom_id", "label", "placeholder"):
            for component in candidates:
                if component.get(key) == target:
                    return component
        for component in candidates:
            emoji = component.get("emoji") or {}
            names = {emoji.get("name"), f"<:{emoji.get('name')}:{emoji.get('id')}>"}
            if emoji and target in names:
                return component
        if isinstance(target, int):
            for component in candidates:
                if component.get("id") == target:
                    return component
        available = [
            c.get("label") or c.get("custom_id") or (c.get("emoji") or {}).get("name")
            for c in candidates
            if c.get("type") in (2, 3, 5, 6, 7, 8)
        ]
        raise LookupError(f"no component {target!r} on message {self.id}; it has {available}")

    def attachment(self, index: int = 0) -> StoredAttachment:
        return self.attachments[index]

    def reaction_users(self, emoji: str) -> list[int]:
        return list(self.reactions.get(emoji, []))

    def snapshot(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "embeds": copy.deepcopy(self.embeds),
            "components": copy.deepcopy(self.components),
            "attachments": [a.id for a in self.attachments],
            "flags": self.flags,
        }

    # --- serialising -------------------------------------------------------------------
    def to_json(self, store: AttachmentStore, *, bot_id: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "author": self.author.to_json(),
            "content": self.content,
            "timestamp": iso(self.timestamp),
            "edited_timestamp": iso(self.edited_timestamp) if self.edited_timestamp else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [store.to_json(a) for a in self.attachments],
            "embeds": copy.deepcopy(self.embeds),
            "components": copy.deepcopy(self.components),
            "pinned": False,
            "flags": self.flags,
            "reactions": [
                {
                    "emoji": _emoji_json(key),
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": bot_id in users,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for key, users in self.reactions.items()
                if users
            ],
        }
        if self.webhook_id:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata:
            data["interaction_metadata"] = copy.deepcopy(self.interaction_metadata)
        if self.message_reference:
            data["message_reference"] = copy.deepcopy(self.message_reference)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        return data


def _emoji_json(key: str) -> dict[str, Any]:
    if ":" in key:
        name, _, emoji_id = key.partition(":")
        return {"id": emoji_id, "name": name}
    return {"id": None, "name": key}


def apply_payload(
    message: FakeMessage,
    payload: dict[str, Any],
    uploads: list[Upload],
    *,
    store_upload: Callable[[Upload, str | None], StoredAttachment],
    attachment_url: Callable[[StoredAttachment], str],
    creating: bool,
) -> None:
    """Apply a create/edit body (content, embeds, components, flags, attachments) to a message."""
    if not creating:
        message.history.append(message.snapshot())
    if "content" in payload:
        message.content = payload["content"] or ""
    if "embeds" in payload:
        message.embeds = [
            dict(clean(e), type=e.get("type") or "rich") for e in payload["embeds"] or []
        ]
    if "components" in payload:
        message.components = number_components(payload["components"] or [])
    flags = payload.get("flags")
    if creating:
        message.flags |= (flags or 0) & (SETTABLE_FLAGS | EPHEMERAL)
    else:
        if flags is not None:
            keep = message.flags & (EPHEMERAL | COMPONENTS_V2)
            message.flags = (flags & SETTABLE_FLAGS) | keep
        message.flags &= ~LOADING
    _apply_attachments(message, payload, uploads, store_upload, creating=creating)
    by_name = {a.filename: a for a in message.attachments}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: resolve(v) for k, v in value.items()}
            url = out.get("url")
            if isinstance(url, str) and url.startswith("attachment://"):
                target = by_name.get(url.removeprefix("attachment://"))
                if target is not None:
                    out["url"] = attachment_url(target)
                    out["proxy_url"] = attachment_url(target)
            return out
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    message.embeds = resolve(message.embeds)
    message.components = resolve(message.components)


def _apply_attachments(
    message: FakeMessage,
    payload: dict[str, Any],
    uploads: list[Upload],
    store_upload: Callable[[Upload, str | None], StoredAttachment],
    *,
    creating: bool,
) -> None:
    by_index = {u.index: u for u in uploads}
    existing = {a.id: a for a in message.attachments}
    entries = payload.get("attachments")
    used: set[int] = set()
    result: list[StoredAttachment] = []
    if entries is None:
        result = list(message.attachments) if not creating else []
    else:
        for i, entry in enumerate(entries):
            ref = int(entry.get("id", -1))
            if ref in by_index and ref not in used:
                used.add(ref)
                upload = by_index[ref]
                if entry.get("filename"):
                    upload.filename = entry["filename"]
                result.append(store_upload(upload, entry.get("description")))
            elif ref in existing and not creating:
                result.append(existing[ref])
            else:
                raise ApiError(
                    400,
                    INVALID_FORM_BODY,
                    "Invalid Form Body",
                    errors={
                        "attachments": {
                            str(i): {
                                "id": {
                                    "_errors": [
                                        {
                                            "code": "ATTACHMENT_NOT_FOUND",
                                            "message": f"Unknown attachment {ref}",
                                        }
                                    ]
                                }
                            }
                        }
                    },
                )
    for upload in uploads:
        if upload.index not in used:
            result.append(store_upload(upload, None))
    message.attachments = result
