"""Interactions the scripted users start, and what the bot answered to them."""

# The brief's API takes timeout= on waits (fake.wait_for_message(..., timeout=10)).

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .messages import FakeMessage, number_components
from .model import ChannelRecord, UserRecord

if TYPE_CHECKING:
    from .server import FakeDiscord

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
TYPE_NAMES = {2: "application command", 3: "component", 4: "autocomplete", 5: "modal submit"}


@dataclass(eq=False)
class FakeModal:
    """A modal the bot opened (callback type 9); submit it with ``user.submit_modal``."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]
    interaction: InteractionRecord

    @property
    def user(self) -> UserRecord:
        return self.interaction.user

    def inputs(self) -> list[tuple[dict[str, Any], str | None]]:
        """Every input component with the label a user sees next to it."""
        found: list[tuple[dict[str, Any], str | None]] = []
        for top in self.components:
            if top.get("type") == 1:
                for child in top.get("components") or []:
                    found.append((child, child.get("label")))
            elif top.get("type") == 18 and isinstance(top.get("component"), dict):
                found.append((top["component"], top.get("label")))
        return found

    def __repr__(self) -> str:
        return f"<FakeModal custom_id={self.custom_id!r} title={self.title!r}>"


@dataclass(eq=False)
class InteractionRecord:
    id: int
    token: str
    type: int
    user: UserRecord
    channel: ChannelRecord
    guild_id: int | None
    data: dict[str, Any]
    created: float
    size_limit: int
    source_message_id: int | None = None
    parent: InteractionRecord | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    callback_type: int | None = None
    callback_body: dict[str, Any] | None = None
    callback_delay: float | None = None
    dispatched_at: float | None = None  # time.monotonic() when INTERACTION_CREATE went out
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: FakeModal | None = None
    choices: list[dict[str, Any]] | None = None
    rejected: list[ApiError] = field(default_factory=list)
    expired: bool = False

    @property
    def responded(self) -> bool:
        return self.callback_type is not None

    def metadata(self) -> dict[str, Any]:
        """``interaction_metadata`` as Discord puts it on response messages."""
        owners = {"0": str(self.guild_id)} if self.guild_id else {"1": str(self.user.id)}
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": self.user.to_json(),
            "authorizing_integration_owners": owners,
        }
        if self.type == APPLICATION_COMMAND:
            data["name"] = self.data.get("name")
            data["command_type"] = self.data.get("type", 1)
        elif self.type == MESSAGE_COMPONENT and self.source_message_id:
            data["interacted_message_id"] = str(self.source_message_id)
        elif self.type == MODAL_SUBMIT and self.parent is not None:
            data["triggering_interaction_metadata"] = self.parent.metadata()
        return data


def new_record(
    fake: FakeDiscord,
    *,
    type: int,
    user: UserRecord,
    channel: ChannelRecord,
    data: dict[str, Any],
    message: FakeMessage | None = None,
    parent: InteractionRecord | None = None,
) -> InteractionRecord:
    record = InteractionRecord(
        id=fake.world.ids.next(),
        token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
        type=type,
        user=user,
        channel=channel,
        guild_id=channel.guild_id,
        data=data,
        created=fake.clock.monotonic(),
        size_limit=fake.attachment_size_limit,
        source_message_id=message.id if message is not None else None,
        parent=parent,
    )
    record.payload = _payload(fake, record, message)
    return record


def _payload(
    fake: FakeDiscord, record: InteractionRecord, message: FakeMessage | None
) -> dict[str, Any]:
    world = fake.world
    channel = record.channel
    perms = world.permissions(channel, record.user)
    payload: dict[str, Any] = {
        "id": str(record.id),
        "application_id": str(world.application_id),
        "type": record.type,
        "data": record.data,
        "token": record.token,
        "version": 1,
        "channel_id": str(channel.id),
        "channel": {**channel.to_json(bot_id=world.bot.id), "permissions": str(perms)},
        "app_permissions": str(world.permissions(channel, world.bot)),
        "locale": record.user.locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": record.size_limit,
    }
    guild = world.guild_of(channel)
    if guild is not None:
        member = guild.members[record.user.id].to_json()
        member["permissions"] = str(perms)
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": guild.locale, "features": []},
            guild_locale=guild.locale,
            member=member,
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,
        )
    else:
        payload.update(
            user=record.user.to_json(),
            authorizing_integration_owners={"0": "0"},
            context=1,
        )
    if message is not None:
        payload["message"] = fake.message_json(message)
    return payload


def make_modal(record: InteractionRecord, data: dict[str, Any]) -> FakeModal:
    return FakeModal(
        custom_id=data.get("custom_id", ""),
        title=data.get("title", ""),
        components=number_components(data.get("components") or []),
        interaction=record,
    )


class InteractionResult:
    """What the bot answered to one interaction; message fields follow later edits."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord) -> None:
        self._fake = fake
        self.record = record

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {TYPE_NAMES.get(self.type)} id={self.id} "
            f"callback={self.callback_type} message={self.message!r}>"
        )

    id = property(lambda self: self.record.id)
    token = property(lambda self: self.record.token)
    type = property(lambda self: self.record.type)
    user = property(lambda self: self.record.user)
    payload = property(lambda self: self.record.payload)
    callback_type = property(lambda self: self.record.callback_type)
    callback_body = property(lambda self: self.record.callback_body)
    modal = property(lambda self: self.record.modal)
    choices = property(lambda self: self.record.choices)
    errors = property(lambda self: list(self.record.rejected))

    @property
    def responded(self) -> bool:
        return self.record.responded

    @property
    def deferred(self) -> bool:
        return self.record.callback_type in (5, 6)

    @property
    def failed(self) -> bool:
        """True when the user would see "This interaction failed" (no answer in time)."""
        return not self.record.responded and self.record.expired

    @property
    def message(self) -> FakeMessage | None:
        """The original response (for type 6/7: the message the component sits on)."""
        if self.record.original_id is None:
            return None
        return self._fake.world.messages.get(self.record.original_id)

    @property
    def followups(self) -> list[FakeMessage]:
        messages = self._fake.world.messages
        return [messages[i] for i in self.record.followup_ids if not messages[i].deleted]

    @property
    def messages(self) -> list[FakeMessage]:
        original = self.message
        found = [original] if original is not None and not original.deleted else []
        return found + [m for m in self.followups if m is not original]

    @property
    def ephemeral(self) -> bool:
        if self.message is not None and self.record.callback_type in (4, 5):
            return self.message.ephemeral
        body = self.record.callback_body or {}
        return bool(((body.get("data") or {}).get("flags") or 0) & 64)

    async def wait(
        self,
        predicate: Callable[[InteractionResult], Any],
        *,
        timeout: float = 10.0,
        what: str = "",
    ) -> Any:
        return await self._fake.wait_until(
            lambda: predicate(self), timeout=timeout, what=what or "a condition on the result"
        )

    async def wait_for_response(self, timeout: float | None = None) -> InteractionResult:
        """Wait until the bot's first response arrived, was rejected, or the deadline passed."""
        limit = timeout if timeout is not None else self._fake.interaction_deadline + 2.0
        await self._fake.wait_until(
            lambda: self.record.responded or self.record.expired or self.record.rejected,
            timeout=limit,
            what=f"a response to interaction {self.id}",
        )
        return self

    async def wait_for_message(
        self, predicate: Callable[[FakeMessage], Any] | None = None, *, timeout: float = 10.0
    ) -> FakeMessage:
        """Wait until the original response exists (and satisfies ``predicate``)."""

        def ready() -> FakeMessage | None:
            message = self.message
            if message is None or message.deleted:
                return None
            return message if predicate is None or predicate(message) else None

        return await self._fake.wait_until(ready, timeout=timeout, what="the original response")

    async def wait_for_followup(
        self, predicate: Callable[[FakeMessage], Any] | None = None, *, timeout: float = 10.0
    ) -> FakeMessage:
        def ready() -> FakeMessage | None:
            for message in self.followups:
                if predicate is None or predicate(message):
                    return message
            return None

        return await self._fake.wait_until(ready, timeout=timeout, what="a follow-up message")
