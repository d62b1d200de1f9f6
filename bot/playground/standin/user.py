"""A scripted Discord user: slash commands, clicks, selects, modals, messages, reactions.

    alice = fake.user("alice")
    result = await alice.slash("imagine", prompt="a cat", image=Path("cat.png"))
    await alice.click(result.message, "U1")
    await alice.submit_modal(result.modal, {"Prompt": "a dog"}, files={"image": [path]})

Each interaction method waits for the bot's first response (``wait=False`` to skip) and
returns an :class:`~bot.playground.standin.interactions.InteractionResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .attachments import as_upload
from .commands import build_data, check_visible, find_command
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    FakeModal,
    InteractionResult,
)
from .messages import FakeMessage
from .modals import build_submit
from .model import ChannelRecord, UserRecord

if TYPE_CHECKING:
    from .server import FakeDiscord


class FakeUser:
    def __init__(self, fake: FakeDiscord, record: UserRecord) -> None:
        self.fake = fake
        self.record = record

    def __repr__(self) -> str:
        return f"<FakeUser {self.name} id={self.id}>"

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.username

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def dm_channel(self) -> ChannelRecord:
        """This user's DM channel with the bot (created on first use)."""
        return self.fake.world.dm_channel(self.record)

    def _channel(self, channel: Any) -> ChannelRecord:
        if channel is None:
            guild = self.fake.guild
            if guild is None:
                raise LookupError("no default guild: pass channel=")
            return self.fake.world.channels[guild.channel_ids[0]]
        if channel == "dm":
            return self.dm_channel
        return self.fake.world.channel(channel)

    async def _finish(self, result: InteractionResult, wait: bool) -> InteractionResult:
        if wait:
            await result.wait_for_response()
        return result

    # --- application commands ----------------------------------------------------------
    async def slash(
        self,
        command: str,
        /,
        *,
        channel: Any = None,
        options: dict[str, Any] | None = None,
        wait: bool = True,
        bypass_permissions: bool = False,
        **values: Any,
    ) -> InteractionResult:
        """Run ``/command`` ("group sub" for subcommands); options by keyword or ``options=``.
        Values are typed per the synced definition; attachments take a path, bytes or
        (filename, bytes)."""
        target = self._channel(channel)
        found, path = find_command(self.fake, command, target)
        if not bypass_permissions:
            check_visible(self.fake, found, self.record, target)
        data = build_data(self.fake, found, path, {**(options or {}), **values}, target)
        result = await self.fake.start_interaction(
            type=APPLICATION_COMMAND, user=self.record, channel=target, data=data
        )
        return await self._finish(result, wait)

    async def autocomplete(
        self,
        command: str,
        focused: str,
        /,
        *,
        channel: Any = None,
        options: dict[str, Any] | None = None,
        wait: bool = True,
        **values: Any,
    ) -> InteractionResult:
        """Type into option ``focused`` (its partial text is ``values[focused]``, default "");
        the bot's choices land in ``result.choices``."""
        target = self._channel(channel)
        found, path = find_command(self.fake, command, target)
        merged = {**(options or {}), **values}
        merged.setdefault(focused, "")
        data = build_data(self.fake, found, path, merged, target, focused=focused)
        result = await self.fake.start_interaction(
            type=AUTOCOMPLETE, user=self.record, channel=target, data=data
        )
        return await self._finish(result, wait)

    async def context_menu(
        self, name: str, target: Any, /, *, channel: Any = None, wait: bool = True
    ) -> InteractionResult:
        """A user command (target: a user) or message command (target: a FakeMessage)."""
        is_message = isinstance(target, FakeMessage)
        where = self._channel(
            channel if channel is not None or not is_message else target.channel_id
        )
        found, _ = find_command(self.fake, name, where, kind=3 if is_message else 2)
        check_visible(self.fake, found, self.record, where)
        if is_message:
            key = str(target.id)
            resolved = {"messages": {key: self.fake.message_json(target)}}
        else:
            user = self.fake.world.user(getattr(target, "record", target))
            key = str(user.id)
            resolved = {"users": {key: user.to_json()}}
        data = {
            "id": found["id"],
            "name": found["name"],
            "type": found["type"],
            "target_id": key,
            "resolved": resolved,
        }
        if found.get("guild_id"):
            data["guild_id"] = found["guild_id"]
        result = await self.fake.start_interaction(
            type=APPLICATION_COMMAND, user=self.record, channel=where, data=data
        )
        return await self._finish(result, wait)

    # --- components --------------------------------------------------------------------
    def _visible_message(self, message: Any) -> FakeMessage:
        found = self.fake.world.message(message)
        if found.ephemeral_for is not None and found.ephemeral_for != self.id:
            raise PermissionError(f"{self.name} cannot see the ephemeral message {found.id}")
        return found

    async def click(
        self, message: Any, target: str | int, /, *, wait: bool = True
    ) -> InteractionResult:
        """Press a button found by label, emoji, custom_id or component id."""
        found = self._visible_message(message)
        button = found.find_component(target)
        if button.get("type") != 2:
            raise TypeError(f"{target!r} is not a button: {button}")
        if button.get("disabled"):
            raise PermissionError(f"the button {target!r} is disabled")
        if button.get("style") in (5, 6):
            raise TypeError(f"{target!r} is a link/premium button; it sends no interaction")
        data = {"custom_id": button["custom_id"], "component_type": 2, "id": button.get("id")}
        return await self._component(found, data, wait)

    async def select(
        self, message: Any, target: str | int, values: list[Any], /, *, wait: bool = True
    ) -> InteractionResult:
        """Pick ``values`` in a select menu found by custom_id or placeholder."""
        found = self._visible_message(message)
        menu = found.find_component(target)
        if menu.get("type") not in (3, 5, 6, 7, 8):
            raise TypeError(f"{target!r} is not a select menu")
        if menu.get("disabled"):
            raise PermissionError(f"the select {target!r} is disabled")
        chosen = [str(getattr(v, "id", v)) for v in values]
        if menu["type"] == 3:
            allowed = [o["value"] for o in menu.get("options") or []]
            if any(v not in allowed for v in chosen):
                raise ValueError(f"{chosen} not among the options {allowed}")
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(chosen) <= high:
            raise ValueError(f"{len(chosen)} values; the menu allows {low}–{high}")
        data = {
            "custom_id": menu["custom_id"],
            "component_type": menu["type"],
            "values": chosen,
            "id": menu.get("id"),
        }
        return await self._component(found, data, wait)

    async def _component(
        self, message: FakeMessage, data: dict[str, Any], wait: bool
    ) -> InteractionResult:
        channel = self.fake.world.channel(message.channel_id)
        result = await self.fake.start_interaction(
            type=MESSAGE_COMPONENT, user=self.record, channel=channel, data=data, message=message
        )
        return await self._finish(result, wait)

    async def submit_modal(
        self,
        modal: FakeModal | InteractionResult,
        values: dict[str, Any] | None = None,
        /,
        *,
        files: dict[str, list[Any]] | None = None,
        wait: bool = True,
    ) -> InteractionResult:
        """Fill and submit a modal; fields by custom_id or label, files for FileUpload fields."""
        if isinstance(modal, InteractionResult):
            opened: FakeModal | None = modal.modal
            if opened is None:
                raise LookupError(f"the bot opened no modal in answer to {modal!r}")
            modal = opened
        opener = modal.interaction
        if opener.user.id != self.id:
            raise PermissionError(
                f"the modal was opened for {opener.user.username}, not {self.name}"
            )
        data = build_submit(self.fake, modal, values or {}, files or {})
        message = None
        if opener.source_message_id is not None:
            message = self.fake.world.messages.get(opener.source_message_id)
        result = await self.fake.start_interaction(
            type=MODAL_SUBMIT,
            user=self.record,
            channel=opener.channel,
            data=data,
            message=message,
            parent=opener,
        )
        return await self._finish(result, wait)

    # --- messages ------------------------------------------------------------------------
    async def send(
        self, channel: Any, content: str = "", /, *, files: list[Any] | None = None
    ) -> FakeMessage:
        """Post a message as this user (the bot receives MESSAGE_CREATE)."""
        target = self._channel(channel)
        message = self.fake.new_message(target, self.record)
        message.content = content
        self.fake.update_pings(message)  # no allowed_mentions: everything parses
        store = self.fake.world.attachments
        message.attachments = [
            store.put(as_upload(i, f), folder=f"attachments/{target.id}")
            for i, f in enumerate(files or [])
        ]
        await self.fake.publish(message)
        return message

    async def dm(self, content: str = "", /, *, files: list[Any] | None = None) -> FakeMessage:
        """Send the bot a direct message."""
        return await self.send(self.dm_channel, content, files=files)

    async def react(self, message: Any, emoji: str, /) -> None:
        await self.fake.set_reaction(self._visible_message(message), emoji, self.record, add=True)

    async def unreact(self, message: Any, emoji: str, /) -> None:
        await self.fake.set_reaction(self._visible_message(message), emoji, self.record, add=False)

    def visible_messages(self, channel: Any = None) -> list[FakeMessage]:
        return self.fake.visible_to(self.record, self._channel(channel))
