from __future__ import annotations

import re

import pytest

from bot.messages import SENTENCES, fail_reason, say


def test_every_sentence_formats_with_its_fields() -> None:
    for key, template in SENTENCES.items():
        fields = {name: "x" for name in re.findall(r"{(\w+)}", template)}
        text = say(key, **fields)
        assert "{" not in text, key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("可能包含敏感词", "banned words"),
        ("执行超时 5 分钟", "too long"),
        ("上游任务超时（超过1小时）", "over an hour"),
        ("Banned prompt detected", "blocked"),
        ("something new", "something new"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_fail_reasons_in_plain_words(raw: str | None, expected: str) -> None:
    assert expected in fail_reason(raw)


def test_unknown_keys_fall_back_to_a_safe_sentence() -> None:
    assert say("no.such.key") == SENTENCES["internal"]
