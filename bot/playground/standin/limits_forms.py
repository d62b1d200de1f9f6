"""Documented limits of modals, application commands and autocomplete answers."""

from __future__ import annotations

import re
from typing import Any

from .errors import Problem
from .limits import SELECT_TYPES, Checker, check_select, join

LABEL_CHILD_TYPES = SELECT_TYPES | {4, 19, 21, 22, 23}
COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097f\u0e00-\u0e7f]{1,32}$")


# --- modals -------------------------------------------------------------------------------


def check_modal(data: dict[str, Any], *, prefix: str = "data") -> list[Problem]:
    checker = Checker()
    checker.length(data.get("title"), join(prefix, "title"), 1, 45, "modal-title")
    checker.length(data.get("custom_id"), join(prefix, "custom_id"), 1, 100, "custom_id-length")
    components = data.get("components") or []
    path = join(prefix, "components")
    if not 1 <= len(components) <= 5:
        checker.add(path, f"{len(components)} top-level components; 1–5", "modal-components")
    for i, component in enumerate(components):
        here = f"{path}[{i}]"
        kind = component.get("type")
        if kind == 1:
            inner = component.get("components") or []
            if len(inner) != 1 or inner[0].get("type") != 4:
                checker.add(f"{here}.components", "a modal row holds one text input", "modal-row")
            for j, child in enumerate(inner):
                if child.get("type") == 4:
                    _check_text_input(checker, child, f"{here}.components[{j}]", labelled=False)
        elif kind == 18:
            checker.length(component.get("label"), f"{here}.label", 1, 45, "label-length")
            if component.get("description") is not None:
                checker.length(component["description"], f"{here}.description", 0, 100, "label")
            child = component.get("component")
            if not isinstance(child, dict) or child.get("type") not in LABEL_CHILD_TYPES:
                checker.add(f"{here}.component", "a Label wraps one input component", "label")
                continue
            _check_modal_input(checker, child, f"{here}.component")
        elif kind != 10:
            checker.add(f"{here}.type", f"type {kind} not allowed at the top of a modal", "modal")
    return checker.problems


def _check_modal_input(checker: Checker, child: dict[str, Any], path: str) -> None:
    kind = child.get("type")
    if kind == 4:
        _check_text_input(checker, child, path, labelled=True)
    elif kind in SELECT_TYPES:
        check_select(checker, child, path)
    elif kind == 19:
        checker.custom_id(child, path)
        low, high = child.get("min_values"), child.get("max_values")
        if low is not None and not 0 <= low <= 10:
            checker.add(f"{path}.min_values", f"{low}; allowed 0–10", "file-upload")
        if high is not None and not 1 <= high <= 10:
            checker.add(f"{path}.max_values", f"{high}; allowed 1–10", "file-upload")
    else:
        checker.custom_id(child, path)


def _check_text_input(
    checker: Checker, text_input: dict[str, Any], path: str, *, labelled: bool
) -> None:
    checker.custom_id(text_input, path)
    if not labelled or text_input.get("label") is not None:
        checker.length(text_input.get("label"), f"{path}.label", 1, 45, "label-length")
    for key, low, high in (("placeholder", 0, 100), ("value", 0, 4000)):
        if text_input.get(key) is not None:
            checker.length(text_input[key], f"{path}.{key}", low, high, "text-input")
    for key, low in (("min_length", 0), ("max_length", 1)):
        value = text_input.get(key)
        if value is not None and not low <= value <= 4000:
            checker.add(f"{path}.{key}", f"{value}; allowed {low}–4000", "text-input")


# --- application commands ------------------------------------------------------------------


def check_commands(commands: list[Any], *, prefix: str = "") -> list[Problem]:
    checker = Checker()
    chat_input = [c for c in commands if (c.get("type") or 1) == 1]
    if len(chat_input) > 100:
        checker.add(
            prefix or "(body)", f"{len(chat_input)} slash commands; at most 100", "commands"
        )
    seen: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        here = f"{prefix}[{i}]"
        kind = command.get("type") or 1
        key = (kind, command.get("name", ""))
        if key in seen:
            checker.add(f"{here}.name", f"duplicate command name {key[1]!r}", "command-name")
        seen.add(key)
        if kind == 1:
            _check_name(checker, command.get("name"), f"{here}.name")
            checker.length(command.get("description"), f"{here}.description", 1, 100, "desc")
            _check_options(checker, command.get("options") or [], f"{here}.options", depth=0)
        else:
            checker.length(command.get("name"), f"{here}.name", 1, 32, "command-name")
            if command.get("description"):
                checker.add(f"{here}.description", "context menus have no description", "desc")
        size = _command_size(command)
        if size > 4000:
            checker.add(here, f"{size} characters of names/descriptions; at most 4000", "size")
    return checker.problems


def _check_name(checker: Checker, name: Any, path: str) -> None:
    if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
        checker.add(path, f"{name!r} must be 1–32 lowercase letters, digits, - or _", "name")


def _check_options(checker: Checker, options: list[Any], path: str, *, depth: int) -> None:
    if len(options) > 25:
        checker.add(path, f"{len(options)} options; at most 25", "options")
    names: set[str] = set()
    optional_seen = False
    subcommands = [o for o in options if o.get("type") in (1, 2)]
    if subcommands and len(subcommands) != len(options):
        checker.add(path, "subcommands cannot be mixed with other options", "options")
    for i, option in enumerate(options):
        here = f"{path}[{i}]"
        kind = option.get("type")
        _check_name(checker, option.get("name"), f"{here}.name")
        checker.length(option.get("description"), f"{here}.description", 1, 100, "desc")
        if option.get("name") in names:
            checker.add(f"{here}.name", f"duplicate option {option.get('name')!r}", "options")
        names.add(option.get("name"))
        if kind == 2:
            if depth > 0:
                checker.add(here, "subcommand groups cannot be nested", "subcommand-group")
            inner = option.get("options") or []
            if any(o.get("type") != 1 for o in inner):
                checker.add(f"{here}.options", "a group holds only subcommands", "subcommand")
            _check_options(checker, inner, f"{here}.options", depth=depth + 1)
        elif kind == 1:
            inner = option.get("options") or []
            if any(o.get("type") in (1, 2) for o in inner):
                checker.add(f"{here}.options", "a subcommand holds no subcommands", "subcommand")
            _check_options(checker, inner, f"{here}.options", depth=depth + 1)
        else:
            if option.get("required"):
                if optional_seen:
                    checker.add(here, "required options come before optional ones", "options")
            else:
                optional_seen = True
            choices = option.get("choices") or []
            if len(choices) > 25:
                checker.add(f"{here}.choices", f"{len(choices)} choices; at most 25", "choices")
            if choices and option.get("autocomplete"):
                checker.add(f"{here}.autocomplete", "autocomplete excludes choices", "choices")
            for j, choice in enumerate(choices):
                checker.length(choice.get("name"), f"{here}.choices[{j}].name", 1, 100, "choices")
                if isinstance(choice.get("value"), str):
                    checker.length(choice["value"], f"{here}.choices[{j}].value", 1, 100, "choices")


def _command_size(command: dict[str, Any]) -> int:
    size = len(command.get("name") or "") + len(command.get("description") or "")
    for option in command.get("options") or []:
        size += _command_size(option)
        for choice in option.get("choices") or []:
            size += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return size


def check_autocomplete(data: dict[str, Any], *, prefix: str = "data") -> list[Problem]:
    checker = Checker()
    choices = data.get("choices") or []
    if len(choices) > 25:
        checker.add(join(prefix, "choices"), f"{len(choices)} choices; at most 25", "choices")
    for j, choice in enumerate(choices):
        here = f"{join(prefix, 'choices')}[{j}]"
        checker.length(choice.get("name"), f"{here}.name", 1, 100, "choices")
        if isinstance(choice.get("value"), str):
            checker.length(choice["value"], f"{here}.value", 1, 100, "choices")
    return checker.problems
