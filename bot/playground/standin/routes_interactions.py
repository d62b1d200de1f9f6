"""Interaction callbacks and the interaction webhook (original response, follow-ups).

Rules enforced: the first response within ``fake.interaction_deadline`` (3 s) else 10062;
one initial response only (40060); a modal only as a first response and never to a modal
submit; callback types that fit the interaction; tokens valid ``fake.token_lifetime`` (15 min)
else 50027; ephemeral messages seen only by their user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    ALREADY_ACKNOWLEDGED,
    INVALID_WEBHOOK_TOKEN,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    ApiError,
    not_found,
)
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    make_modal,
)
from .limits import EPHEMERAL, LOADING
from .limits_forms import check_autocomplete, check_modal
from .messages import FakeMessage
from .rest import Reply, Req
from .spec import validate

if TYPE_CHECKING:
    from .server import FakeDiscord

SCHEMAS = {
    4: "CreateMessageInteractionCallbackRequest",
    5: "CreateMessageInteractionCallbackRequest",
    6: "UpdateMessageInteractionCallbackRequest",
    7: "UpdateMessageInteractionCallbackRequest",
    8: "ApplicationCommandAutocompleteCallbackRequest",
    9: "ModalInteractionCallbackRequest",
}


def allowed_callbacks(record: InteractionRecord) -> set[int]:
    if record.type == APPLICATION_COMMAND:
        return {4, 5, 9}
    if record.type == MESSAGE_COMPONENT:
        return {4, 5, 6, 7, 9}
    if record.type == AUTOCOMPLETE:
        return {8}
    if record.type == MODAL_SUBMIT:
        return {4, 5, 6, 7} if record.source_message_id else {4, 5}
    return {1}


def install(fake: FakeDiscord) -> None:
    world = fake.world
    add = fake.rest.router.add

    async def callback(req: Req) -> Reply:
        record = world.interactions.get(req.int("interaction_id"))
        if record is None or record.token != req.params["interaction_token"]:
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        body = req.body()
        kind = body.get("type")
        try:
            _check_callback(fake, req, record, kind, body)
        except ApiError as error:
            record.rejected.append(error)
            fake.notify()
            raise
        kind = int(kind or 0)  # a known type: checked above
        record.callback_type, record.callback_body = kind, body
        record.callback_delay = fake.clock.monotonic() - record.created
        fake.counters.answered(record)
        await _accept(fake, req, record, kind, body.get("data") or {})
        fake.notify()
        if not req.flag("with_response"):
            return Reply(204)
        return Reply(body=_callback_response(fake, record, kind))

    add("POST", "/interactions/{interaction_id}/{interaction_token}/callback", callback, auth=False)
    _install_webhook(fake)


def _check_callback(
    fake: FakeDiscord, req: Req, record: InteractionRecord, kind: Any, body: dict[str, Any]
) -> None:
    if record.responded:
        fake.violate(
            "interaction-responded",
            "type",
            f"a second initial response (type {kind}) after type {record.callback_type}",
            req.label,
        )
        raise ApiError(400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
    elapsed = fake.clock.monotonic() - record.created
    if elapsed > fake.interaction_deadline:
        fake.violate(
            "interaction-deadline",
            "interaction",
            f"first response after {elapsed:.2f} s; the deadline is {fake.interaction_deadline} s",
            req.label,
        )
        raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
    if kind not in allowed_callbacks(record):
        reason = f"callback type {kind} cannot answer a {record.type=} interaction"
        if kind == 9 and record.type == MODAL_SUBMIT:
            reason = "a modal (type 9) cannot answer a modal submit"
        elif kind in (6, 7):
            reason = f"type {kind} updates a message, and this interaction has none"
        fake.check(req, [fake.problem("type", reason, "callback-type")])
    problems = validate(SCHEMAS[kind], body)
    data = body.get("data") or {}
    if kind in (4, 7):
        problems += fake.message_problems(
            None,
            data,
            prefix="data",
            uploads=req.uploads,
            size_limit=record.size_limit,
            old_flags=_source_flags(fake, record) if kind == 7 else 0,
        )
    elif kind == 9:
        problems += check_modal(data)
    elif kind == 8:
        problems += check_autocomplete(data)
    fake.check(req, problems)


def _source_flags(fake: FakeDiscord, record: InteractionRecord) -> int:
    message = fake.world.messages.get(record.source_message_id or 0)
    return message.flags if message is not None else 0


async def _accept(
    fake: FakeDiscord, req: Req, record: InteractionRecord, kind: int, data: dict[str, Any]
) -> None:
    if kind in (4, 5):
        message = fake.new_message(record.channel, fake.world.bot, interaction=record)
        if record.type == APPLICATION_COMMAND:
            message.type = 20 if record.data.get("type", 1) == 1 else 23
        if kind == 5:
            message.flags = LOADING | ((data.get("flags") or 0) & EPHEMERAL)
        else:
            fake.apply(message, data, req.uploads, creating=True)
        if message.ephemeral:
            message.ephemeral_for = record.user.id
        record.original_id = message.id
        await fake.publish(message)
    elif kind in (6, 7):
        record.original_id = record.source_message_id
        if kind == 7:
            message = fake.world.message(record.source_message_id)
            fake.apply(message, data, req.uploads, creating=False)
            await fake.publish_edit(message)
    elif kind == 9:
        record.modal = make_modal(record, data)
    elif kind == 8:
        record.choices = list(data.get("choices") or [])


def _callback_response(fake: FakeDiscord, record: InteractionRecord, kind: int) -> dict[str, Any]:
    interaction: dict[str, Any] = {"id": str(record.id), "type": record.type}
    message = fake.world.messages.get(record.original_id or 0)
    resource: dict[str, Any] = {"type": kind}
    if message is not None and kind in (4, 5, 7):
        interaction.update(
            response_message_id=str(message.id),
            response_message_loading=message.loading,
            response_message_ephemeral=message.ephemeral,
        )
        resource["message"] = fake.message_json(message)
    return {"interaction": interaction, "resource": resource}


def _install_webhook(fake: FakeDiscord) -> None:
    world = fake.world
    add = fake.rest.router.add

    def record_for(req: Req) -> InteractionRecord:
        if req.params["webhook_id"] != str(world.application_id):
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        record = world.tokens.get(req.params["webhook_token"])
        if record is None:
            raise ApiError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        age = fake.clock.monotonic() - record.created
        if age > fake.token_lifetime:
            fake.violate(
                "token-expired",
                "token",
                f"interaction token used {age / 60:.1f} min after the interaction; "
                f"it lasts {fake.token_lifetime / 60:.0f} min",
                req.label,
            )
            raise ApiError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if not record.responded:
            fake.violate(
                "followup-before-response",
                "token",
                "the interaction webhook was used before the initial response",
                req.label,
            )
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        return record

    def target(req: Req, record: InteractionRecord) -> FakeMessage:
        key = req.params["message_id"]
        if key == "@original":
            message_id = record.original_id
        else:
            message_id = int(key) if key.isdigit() else None
            if message_id not in record.followup_ids and message_id != record.original_id:
                message_id = None
        if message_id is None:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return world.message(message_id)

    async def get(req: Req) -> Reply:
        return Reply(body=fake.message_json(target(req, record_for(req))))

    async def edit(req: Req) -> Reply:
        record = record_for(req)
        message = target(req, record)
        headers = fake.faults.take_edit(message.channel_id, req.method, req.path, webhook=True)
        body = req.body()
        problems = fake.message_problems(
            "IncomingWebhookUpdateRequestPartial",
            body,
            uploads=req.uploads,
            size_limit=record.size_limit,
            old_flags=message.flags,
        )
        fake.check(req, problems)
        fake.apply(message, body, req.uploads, creating=False)
        await fake.publish_edit(message)
        return Reply(body=fake.message_json(message), headers=headers)

    async def delete(req: Req) -> Reply:
        message = target(req, record_for(req))
        await fake.publish_delete(message)
        return Reply(204)

    async def followup(req: Req) -> Reply:
        record = record_for(req)
        body = req.body()
        problems = fake.message_problems(
            "IncomingWebhookRequestPartial", body, uploads=req.uploads, size_limit=record.size_limit
        )
        fake.check(req, problems)
        original = world.messages.get(record.original_id or 0)
        deferred = record.callback_type == 5 and original is not None and not original.deleted
        if deferred and original is not None and original.loading:
            # The first follow-up after a "thinking" defer replaces the loading message (once
            # that was deleted, a follow-up is a message of its own).
            fake.apply(original, body, req.uploads, creating=False)
            await fake.publish_edit(original)
            message = original
        else:
            message = fake.new_message(record.channel, world.bot, interaction=record)
            fake.apply(message, body, req.uploads, creating=True)
            if message.ephemeral:
                message.ephemeral_for = record.user.id
            if message.interaction_metadata is not None and record.original_id:
                message.interaction_metadata["original_response_message_id"] = str(
                    record.original_id
                )
            await fake.publish(message)
        record.followup_ids.append(message.id)
        return Reply(body=fake.message_json(message)) if req.flag("wait") else Reply(204)

    base = "/webhooks/{webhook_id}/{webhook_token}"
    add("POST", base, followup, auth=False)
    add("GET", f"{base}/messages/{{message_id}}", get, auth=False)
    add("PATCH", f"{base}/messages/{{message_id}}", edit, auth=False)
    add("DELETE", f"{base}/messages/{{message_id}}", delete, auth=False)
