"""Escalation steps, policy validation, and which upstream refusals count as moderation."""

from __future__ import annotations

from typing import Any

import pytest

from bot.jobs.escalation import (
    MAX_TIMEOUT_SECONDS,
    EscalationPolicy,
    Step,
    decide,
    hits_until_timeout,
    is_moderation_refusal,
)

N, W, T = Step.NONE, Step.WARN, Step.TIMEOUT
MJ_MODERATOR = (
    "Sorry! Our AI moderator thinks this prompt is probably against our community standards."
)


def steps(policy: EscalationPolicy, upto: int) -> list[Step]:
    return [decide(policy, count) for count in range(upto + 1)]


def test_default_policy_warns_then_times_out_once_per_multiple() -> None:
    assert steps(EscalationPolicy(), 9) == [N, W, W, T, W, W, T, W, W, T]


def test_warnings_start_at_warn_at() -> None:
    assert steps(EscalationPolicy(warn_at=2, timeout_at=4), 8) == [N, N, W, W, T, W, W, W, T]


def test_warn_at_equal_to_timeout_at_means_no_warning_first() -> None:
    assert steps(EscalationPolicy(warn_at=3, timeout_at=3), 7) == [N, N, N, T, W, W, T, W]


def test_timeout_at_one_times_out_every_hit() -> None:
    assert steps(EscalationPolicy(warn_at=1, timeout_at=1), 3) == [N, T, T, T]


def test_disabled_policy_never_acts() -> None:
    assert set(steps(EscalationPolicy(enabled=False), 7)) == {N}


def test_hits_until_timeout_counts_to_the_next_multiple() -> None:
    policy = EscalationPolicy(timeout_at=3)
    assert [hits_until_timeout(policy, n) for n in range(7)] == [3, 2, 1, 3, 2, 1, 3]


@pytest.mark.parametrize("count", [-1, 1.0, True, None])
def test_count_must_be_a_whole_number(count: Any) -> None:
    with pytest.raises(ValueError, match="hits_in_window"):
        decide(EscalationPolicy(), count)
    with pytest.raises(ValueError, match="hits_in_window"):
        hits_until_timeout(EscalationPolicy(), count)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"warn_at": 0}, "warn_at"),
        ({"warn_at": True}, "warn_at"),
        ({"warn_at": 1.5}, "warn_at"),
        ({"timeout_at": 0}, "timeout_at"),
        ({"warn_at": 4, "timeout_at": 3}, "timeout_at"),
        ({"window_seconds": 0}, "window_seconds"),
        ({"window_seconds": float("inf")}, "window_seconds"),
        ({"window_seconds": float("nan")}, "window_seconds"),
        ({"window_seconds": "86400"}, "window_seconds"),
        ({"timeout_seconds": -1}, "timeout_seconds"),
        ({"timeout_seconds": MAX_TIMEOUT_SECONDS + 1}, "timeout_seconds"),
        ({"enabled": 1}, "enabled"),
    ],
)
def test_policy_is_validated(fields: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        EscalationPolicy(**fields)


def test_policy_edges_are_accepted() -> None:
    policy = EscalationPolicy(warn_at=5, timeout_at=5, window_seconds=0.5)
    assert policy.timeout_seconds == 3600
    EscalationPolicy(timeout_seconds=MAX_TIMEOUT_SECONDS, window_seconds=7 * 86400)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (24, None),  # legacy submit refusal (mj-protocol §2)
        (24, "可能包含敏感词"),
        (None, "可能包含敏感词"),  # newer proxies fail the task later (mj-protocol §4)
        (None, "Banned prompt detected"),
        (None, "banned prompt"),
        (None, "Banned"),
        (None, "Your prompt was banned"),
        (None, MJ_MODERATOR),
        (None, "Request cancelled due to image filters"),
        (None, "Image denied"),
        (None, "failed: moderation"),
        (None, "Job action restricted"),
        (1, "Banned prompt detected"),
    ],
)
def test_moderation_refusals_are_recognised(code: int | None, reason: str | None) -> None:
    assert is_moderation_refusal(code, reason)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (None, None),
        (None, ""),
        (1, ""),
        (23, "队列已满，请稍后尝试"),  # queue full
        (9, "队列已满"),
        (None, "执行超时 5 分钟"),  # execution timed out
        (None, "任务提交超时"),
        (None, "上游任务超时（超过1小时）"),
        (None, "timed out"),
        (None, "the submit was lost"),
        (4, "quota_not_enough"),
        (None, "Discord account banned"),  # upstream's account, not the member's doing
        (None, "账号被封禁 banned"),
        (None, "bannedWord"),  # not the word "banned" on its own
    ],
)
def test_other_failures_are_not_moderation(code: int | None, reason: str | None) -> None:
    assert not is_moderation_refusal(code, reason)
