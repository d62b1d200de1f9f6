"""Each documented limit names the offending field (pure checks, no server)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.playground.standin.limits import check_message
from bot.playground.standin.limits_forms import check_autocomplete, check_commands, check_modal
from bot.playground.standin.spec import validate


def button(custom_id: str = "b", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "ok", "custom_id": custom_id, **extra}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def select(options: int) -> dict[str, Any]:
    opts = [{"label": f"o{i}", "value": f"o{i}"} for i in range(options)]
    return {"type": 3, "custom_id": "s", "options": opts}


MESSAGES = [
    ({"content": "x" * 2001}, "content", "content-length"),
    ({"components": [row(button(f"b{i}")) for i in range(6)]}, "components", "action-rows"),
    (
        {"components": [row(*[button(f"b{i}") for i in range(6)])]},
        "components[0].components",
        "action-row-size",
    ),
    (
        {"components": [row(button("x" * 101))]},
        "components[0].components[0].custom_id",
        "custom_id-length",
    ),
    (
        {"components": [row(button(), button())]},
        "components[0].components[1].custom_id",
        "custom_id-unique",
    ),
    (
        {"components": [row(button(label="l" * 81))]},
        "components[0].components[0].label",
        "label-length",
    ),
    (
        {"components": [row({"type": 2, "style": 5, "label": "u", "url": "h" * 513})]},
        "components[0].components[0].url",
        "url-length",
    ),
    ({"components": [row(select(26))]}, "components[0].components[0].options", "select-options"),
    (
        {"flags": 1 << 15, "components": [{"type": 10, "content": "t"}] * 41},
        "components",
        "components-v2-count",
    ),
    (
        {"flags": 1 << 15, "content": "hi", "components": [{"type": 10, "content": "t"}]},
        "content",
        "components-v2",
    ),
    ({"embeds": [{"description": "d" * 4097}]}, "embeds[0].description", "embed"),
    (
        {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
        "embeds",
        "embed-total",
    ),
    ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds[0].fields", "embed"),
]


@pytest.mark.parametrize(("payload", "field", "rule"), MESSAGES)
def test_message_limits(payload: dict[str, Any], field: str, rule: str) -> None:
    found = {(p.path, p.rule) for p in check_message(payload)}
    assert (field, rule) in found


def test_files_count_and_size() -> None:
    sizes = [(f"f{i}.png", 10) for i in range(11)]
    assert any(p.rule == "attachments" for p in check_message({}, file_sizes=sizes))
    big = check_message({}, file_sizes=[("big.png", 11)], size_limit=10)
    assert [(p.path, p.rule) for p in big] == [("files[0]", "attachment-size")]


def test_v2_flag_cannot_be_removed() -> None:
    problems = check_message({"flags": 0}, old_flags=1 << 15)
    assert [p.rule for p in problems] == ["components-v2"]


def text_input(custom_id: str = "t") -> dict[str, Any]:
    return {"type": 4, "custom_id": custom_id, "style": 1, "label": "Label"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "t" * 46, "custom_id": "m", "components": [row(text_input())]}, "data.title"),
        ({"title": "t", "custom_id": "m", "components": []}, "data.components"),
        (
            {
                "title": "t",
                "custom_id": "m",
                "components": [row(text_input(f"t{i}")) for i in range(6)],
            },
            "data.components",
        ),
        (
            {
                "title": "t",
                "custom_id": "m",
                "components": [{"type": 18, "label": "l" * 46, "component": text_input()}],
            },
            "data.components[0].label",
        ),
        (
            {
                "title": "t",
                "custom_id": "m",
                "components": [
                    {
                        "type": 18,
                        "label": "F",
                        "component": {"type": 19, "custom_id": "f", "max_values": 11},
                    }
                ],
            },
            "data.components[0].component.max_values",
        ),
    ],
)
def test_modal_limits(data: dict[str, Any], field: str) -> None:
    assert field in {p.path for p in check_modal(data)}


def command(**extra: Any) -> dict[str, Any]:
    return {"name": "imagine", "description": "Make an image", "type": 1, **extra}


def option(name: str = "prompt", **extra: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": "d", **extra}


@pytest.mark.parametrize(
    ("commands", "field"),
    [
        ([command(name="Imagine")], "[0].name"),
        ([command(name="x" * 33)], "[0].name"),
        ([command(description="")], "[0].description"),
        ([command(description="d" * 101)], "[0].description"),
        ([command(options=[option(f"o{i}") for i in range(26)])], "[0].options"),
        (
            [
                command(
                    options=[
                        option(choices=[{"name": f"c{i}", "value": f"{i}"} for i in range(26)])
                    ]
                )
            ],
            "[0].options[0].choices",
        ),
        ([command(options=[option(required=False), option("b", required=True)])], "[0].options[1]"),
        (
            [
                command(
                    options=[
                        {
                            "type": 2,
                            "name": "g",
                            "description": "g",
                            "options": [{"type": 2, "name": "h", "description": "h"}],
                        }
                    ]
                )
            ],
            "[0].options[0].options",
        ),
    ],
)
def test_command_limits(commands: list[dict[str, Any]], field: str) -> None:
    assert field in {p.path for p in check_commands(commands)}


def test_autocomplete_limit() -> None:
    choices = [{"name": f"c{i}", "value": f"c{i}"} for i in range(26)]
    assert [p.path for p in check_autocomplete({"choices": choices})] == ["data.choices"]


def test_schema_names_the_field(discord_spec: Any) -> None:
    body = {"type": 4, "data": {"components": [row(button(label="l" * 81))]}}
    problems = validate("CreateMessageInteractionCallbackRequest", body)
    assert [p.path for p in problems] == ["data.components[0].components[0].label"]
    assert validate("MessageCreateRequest", {"content": "ok", "attachments": [{"id": 0}]}) == []


def test_schema_memo_keeps_errors(discord_spec: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows already found valid are not re-validated; a bad row is still reported."""
    from bot.playground.standin import spec

    tried: list[Any] = []
    one_of = spec._ONE_OF

    def counting(validator: Any, alternatives: Any, instance: Any, schema: Any) -> Any:
        tried.append(instance)
        return one_of(validator, alternatives, instance, schema)

    monkeypatch.setattr(spec, "_ONE_OF", counting)
    rows = [row(*[button(f"memo{r}-{i}") for i in range(4)]) for r in range(3)]
    assert validate("MessageEditRequestPartial", {"content": "1%", "components": rows}) == []
    first = len(tried)
    assert validate("MessageEditRequestPartial", {"content": "2%", "components": rows}) == []
    assert len(tried) - first < first / 4  # the rows came from the memo
    bad = [*rows, row(button("memo-bad", label="l" * 81))]
    problems = validate("MessageEditRequestPartial", {"content": "3%", "components": bad})
    assert [p.path for p in problems] == ["components[3].components[0].label"]
