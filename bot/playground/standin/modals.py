"""MODAL_SUBMIT data in the shape discord.py 2.7 parses.

Action rows wrap legacy TextInputs (``{"type": 1, "components": [{"type": 4, ...}]}``); a
Label (type 18) wraps one input in ``component``; a FileUpload (type 19) carries attachment ids
in ``values`` and the files in ``data.resolved.attachments``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .attachments import as_upload
from .interactions import FakeModal

if TYPE_CHECKING:
    from .server import FakeDiscord


def build_submit(
    fake: FakeDiscord,
    modal: FakeModal,
    values: dict[str, Any],
    files: dict[str, list[Any]],
) -> dict[str, Any]:
    inputs = modal.inputs()
    remaining = dict(values)
    remaining_files = dict(files)
    resolved: dict[str, dict[str, Any]] = {}

    def take(source: dict[str, Any], component: dict[str, Any], label: str | None) -> Any:
        for key in (component.get("custom_id"), label):
            if key is not None and key in source:
                return source.pop(key)
        return None

    answers: dict[int, dict[str, Any]] = {}
    for component, label in inputs:
        kind = component.get("type")
        name = label or component.get("custom_id")
        if kind == 19:
            chosen = take(remaining_files, component, label)
            if chosen is None:
                chosen = take(remaining, component, label)
            answers[id(component)] = _files(fake, modal, component, name, chosen or [], resolved)
        else:
            answers[id(component)] = _value(component, name, take(remaining, component, label))
    leftover = sorted(set(remaining) | set(remaining_files))
    if leftover:
        known = [c.get("custom_id") for c, _ in inputs] + [lbl for _, lbl in inputs if lbl]
        raise KeyError(f"the modal has no fields {leftover}; it has {known}")

    components: list[dict[str, Any]] = []
    for top in modal.components:
        kind = top.get("type")
        if kind == 1:
            children = [answers[id(c)] for c in top.get("components") or [] if id(c) in answers]
            components.append({"type": 1, "id": top.get("id"), "components": children})
        elif kind == 18:
            inner = answers.get(id(top.get("component")))
            components.append({"type": 18, "id": top.get("id"), "component": inner})
        elif kind == 10:
            components.append({"type": 10, "id": top.get("id"), "content": top.get("content", "")})
    data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
    if resolved:
        data["resolved"] = resolved
    return data


def _value(component: dict[str, Any], name: Any, given: Any) -> dict[str, Any]:
    kind = component.get("type")
    answer: dict[str, Any] = {"type": kind, "id": component.get("id")}
    if component.get("custom_id") is not None:
        answer["custom_id"] = component["custom_id"]
    required = component.get("required", True)
    if kind == 4:
        text = str(given) if given is not None else component.get("value") or ""
        low, high = component.get("min_length", 0), component.get("max_length", 4000)
        if required and not text:
            raise ValueError(f"the modal field {name!r} is required")
        if text and not low <= len(text) <= high:
            raise ValueError(f"{name!r}: {len(text)} characters; the client allows {low}–{high}")
        answer["value"] = text
    elif kind in (3, 5, 6, 7, 8, 22):
        chosen = [str(v) for v in (given if isinstance(given, (list, tuple)) else [given])]
        chosen = [] if given is None else chosen
        if kind == 3:
            allowed = [o["value"] for o in component.get("options") or []]
            bad = [v for v in chosen if v not in allowed]
            if bad:
                raise ValueError(f"{name!r}: {bad} are not among the options {allowed}")
        low = component.get("min_values", 1 if required else 0)
        high = component.get("max_values", 1)
        if not low <= len(chosen) <= high:
            raise ValueError(f"{name!r}: {len(chosen)} values; the client allows {low}–{high}")
        answer["values"] = chosen
    elif kind == 21:
        if required and given is None:
            raise ValueError(f"the modal field {name!r} is required")
        answer["value"] = None if given is None else str(given)
    elif kind == 23:
        answer["value"] = bool(given)
    else:
        raise TypeError(f"{name!r}: component type {kind} is not supported by the fake")
    return answer


def _files(
    fake: FakeDiscord,
    modal: FakeModal,
    component: dict[str, Any],
    name: Any,
    chosen: Any,
    resolved: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    items = list(chosen) if isinstance(chosen, (list, tuple)) else [chosen]
    required = component.get("required", True)
    low = component.get("min_values", 1 if required else 0) or (1 if required else 0)
    high = component.get("max_values", 1)
    if not low <= len(items) <= high:
        raise ValueError(f"{name!r}: {len(items)} files; the client allows {low}–{high}")
    store = fake.world.attachments
    ids: list[str] = []
    for index, item in enumerate(items):
        upload = as_upload(index, item)
        if len(upload.data) > modal.interaction.size_limit:
            raise ValueError(f"{name!r}: {upload.filename} exceeds the upload limit")
        stored = store.put(
            upload, folder=f"ephemeral-attachments/{fake.world.application_id}", ephemeral=True
        )
        ids.append(str(stored.id))
        resolved.setdefault("attachments", {})[str(stored.id)] = store.to_json(stored)
    return {
        "type": 19,
        "id": component.get("id"),
        "custom_id": component.get("custom_id"),
        "values": ids,
    }
