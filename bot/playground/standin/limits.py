"""Discord's documented limits (docs/discord-notes.md), checked where the spec is looser.

Each check returns a list of :class:`Problem` naming the offending field by its dotted path.
"""

from __future__ import annotations

from typing import Any

from .errors import Problem

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15

MESSAGE_CONTENT = 2000
EMBED_LIMITS = {"title": 256, "description": 4096}
EMBED_TOTAL = 6000
SELECT_TYPES = {3, 5, 6, 7, 8}


class Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.custom_ids: dict[str, str] = {}

    def add(self, path: str, message: str, rule: str) -> None:
        self.problems.append(Problem(path, message, rule))

    def length(self, value: Any, path: str, low: int, high: int, rule: str) -> None:
        if value is None:
            if low > 0:
                self.add(path, f"is required ({low}–{high} characters)", rule)
            return
        size = len(str(value))
        if not low <= size <= high:
            self.add(path, f"has {size} characters; allowed {low}–{high}", rule)

    def custom_id(self, component: dict[str, Any], path: str) -> None:
        value = component.get("custom_id")
        self.length(value, f"{path}.custom_id", 1, 100, "custom_id-length")
        if value is None:
            return
        if value in self.custom_ids:
            first = self.custom_ids[value]
            self.add(
                f"{path}.custom_id", f"duplicates the custom_id at {first}", "custom_id-unique"
            )
        else:
            self.custom_ids[value] = f"{path}.custom_id"


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# --- messages -----------------------------------------------------------------------------


def check_message(
    payload: dict[str, Any],
    *,
    prefix: str = "",
    old_flags: int = 0,
    file_sizes: list[tuple[str, int]] | tuple[()] = (),
    size_limit: int | None = None,
    final_attachments: int | None = None,
) -> list[Problem]:
    """Content, embeds, components, flags and files of a message create/edit payload."""
    checker = Checker()
    flags = payload.get("flags") or 0
    v2 = bool((flags | old_flags) & COMPONENTS_V2)
    removed = old_flags & COMPONENTS_V2 and not flags & COMPONENTS_V2
    if removed and payload.get("flags") is not None:
        checker.add(join(prefix, "flags"), "IS_COMPONENTS_V2 cannot be removed", "components-v2")
    content = payload.get("content")
    if content is not None and len(content) > MESSAGE_CONTENT:
        checker.add(
            join(prefix, "content"),
            f"has {len(content)} characters; at most {MESSAGE_CONTENT}",
            "content-length",
        )
    embeds = payload.get("embeds") or []
    if v2:
        if content:
            checker.add(
                join(prefix, "content"), "not allowed with IS_COMPONENTS_V2", "components-v2"
            )
        if embeds:
            checker.add(
                join(prefix, "embeds"), "not allowed with IS_COMPONENTS_V2", "components-v2"
            )
    _check_embeds(checker, embeds, join(prefix, "embeds"))
    components = payload.get("components")
    if components:
        if v2:
            _check_v2(checker, components, join(prefix, "components"))
        else:
            _check_classic(checker, components, join(prefix, "components"))
    count = len(file_sizes)
    if final_attachments is not None:
        count = max(count, final_attachments)
    if count > 10:
        checker.add(join(prefix, "attachments"), f"{count} files; at most 10", "attachments")
    if size_limit is not None:
        for index, (name, size) in enumerate(file_sizes):
            if size > size_limit:
                checker.add(
                    f"files[{index}]",
                    f"{name!r} is {size} bytes; the limit is {size_limit}",
                    "attachment-size",
                )
    return checker.problems


def _check_embeds(checker: Checker, embeds: list[Any], path: str) -> None:
    if len(embeds) > 10:
        checker.add(path, f"{len(embeds)} embeds; at most 10", "embeds")
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        here = f"{path}[{i}]"
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                checker.add(f"{here}.{key}", f"{len(value)} characters; at most {limit}", "embed")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            checker.add(f"{here}.fields", f"{len(fields)} fields; at most 25", "embed")
        for j, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = str(fld.get(key) or "")
                total += len(value)
                if len(value) > limit:
                    checker.add(
                        f"{here}.fields[{j}].{key}",
                        f"{len(value)} characters; at most {limit}",
                        "embed",
                    )
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            value = str((embed.get(key) or {}).get(sub) or "")
            total += len(value)
            if len(value) > limit:
                checker.add(
                    f"{here}.{key}.{sub}", f"{len(value)} characters; at most {limit}", "embed"
                )
    if total > EMBED_TOTAL:
        checker.add(path, f"embeds hold {total} characters; at most {EMBED_TOTAL}", "embed-total")


def _check_classic(checker: Checker, components: list[Any], path: str) -> None:
    if len(components) > 5:
        checker.add(path, f"{len(components)} action rows; at most 5", "action-rows")
    for i, row in enumerate(components):
        here = f"{path}[{i}]"
        if row.get("type") != 1:
            checker.add(
                f"{here}.type",
                f"type {row.get('type')} at top level needs IS_COMPONENTS_V2; use action rows",
                "action-rows",
            )
            continue
        _check_row(checker, row, here)


def _check_row(checker: Checker, row: dict[str, Any], path: str) -> None:
    children = row.get("components") or []
    if not 1 <= len(children) <= 5:
        checker.add(
            f"{path}.components", f"{len(children)} components in a row; 1–5", "action-row-size"
        )
    selects = [c for c in children if c.get("type") in SELECT_TYPES]
    if selects and len(children) > 1:
        checker.add(f"{path}.components", "a select menu must be alone in its row", "select")
    for j, child in enumerate(children):
        here = f"{path}.components[{j}]"
        if child.get("type") == 2:
            _check_button(checker, child, here)
        elif child.get("type") in SELECT_TYPES:
            check_select(checker, child, here)
        else:
            checker.add(f"{here}.type", f"type {child.get('type')} not allowed in a row", "row")


def _check_button(checker: Checker, button: dict[str, Any], path: str) -> None:
    style = button.get("style")
    if button.get("label") is not None:
        checker.length(button["label"], f"{path}.label", 0, 80, "label-length")
    if style == 5:
        checker.length(button.get("url"), f"{path}.url", 1, 512, "url-length")
        if button.get("custom_id") is not None:
            checker.add(f"{path}.custom_id", "a link button has no custom_id", "button")
    elif style == 6:
        if not button.get("sku_id"):
            checker.add(f"{path}.sku_id", "a premium button needs sku_id", "button")
    else:
        checker.custom_id(button, path)
        if button.get("url") is not None:
            checker.add(f"{path}.url", "only link buttons have a url", "button")
    if style != 6 and not button.get("label") and not button.get("emoji"):
        checker.add(f"{path}.label", "a button needs a label or an emoji", "button")


def check_select(checker: Checker, select: dict[str, Any], path: str) -> None:
    checker.custom_id(select, path)
    if select.get("placeholder") is not None:
        checker.length(select["placeholder"], f"{path}.placeholder", 0, 150, "select")
    low, high = select.get("min_values"), select.get("max_values")
    if low is not None and not 0 <= low <= 25:
        checker.add(f"{path}.min_values", f"{low}; allowed 0–25", "select")
    if high is not None and not 1 <= high <= 25:
        checker.add(f"{path}.max_values", f"{high}; allowed 1–25", "select")
    if select.get("type") == 3:
        options = select.get("options") or []
        if not 1 <= len(options) <= 25:
            checker.add(f"{path}.options", f"{len(options)} options; 1–25", "select-options")
        if high is not None and high > len(options):
            checker.add(f"{path}.max_values", f"{high} > {len(options)} options", "select")
        for k, option in enumerate(options):
            here = f"{path}.options[{k}]"
            checker.length(option.get("label"), f"{here}.label", 1, 100, "select-options")
            checker.length(option.get("value"), f"{here}.value", 1, 100, "select-options")
            if option.get("description") is not None:
                checker.length(
                    option["description"], f"{here}.description", 0, 100, "select-options"
                )


def _count(components: list[Any]) -> int:
    total = 0
    for component in components:
        if not isinstance(component, dict):
            continue
        total += 1
        total += _count(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            total += 1
        if isinstance(component.get("component"), dict):
            total += 1
    return total


def _check_v2(checker: Checker, components: list[Any], path: str) -> None:
    total = _count(components)
    if total > 40:
        checker.add(path, f"{total} components in all; at most 40", "components-v2-count")
    text = _check_v2_tree(checker, components, path)
    if text > 4000:
        checker.add(path, f"text displays hold {text} characters; at most 4000", "text-display")


def _check_v2_tree(checker: Checker, components: list[Any], path: str) -> int:
    text = 0
    for i, component in enumerate(components):
        here = f"{path}[{i}]"
        kind = component.get("type")
        if kind == 1:
            _check_row(checker, component, here)
        elif kind == 10:
            text += len(component.get("content") or "")
        elif kind == 12:
            items = component.get("items") or []
            if not 1 <= len(items) <= 10:
                checker.add(f"{here}.items", f"{len(items)} gallery items; 1–10", "media-gallery")
        elif kind == 9:
            inner = component.get("components") or []
            if not 1 <= len(inner) <= 3:
                checker.add(
                    f"{here}.components", f"{len(inner)} texts in a section; 1–3", "section"
                )
            text += _check_v2_tree(checker, inner, f"{here}.components")
            accessory = component.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == 2:
                _check_button(checker, accessory, f"{here}.accessory")
        elif kind == 17:
            text += _check_v2_tree(checker, component.get("components") or [], f"{here}.components")
    return text
