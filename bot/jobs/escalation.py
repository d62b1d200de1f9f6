"""Escalation: what happens to a member whose prompts keep getting blocked.

Each block (a banned word caught here, or a moderation refusal from Midjourney) is a hit,
stored by `HitsRepository.record`, which answers how many hits the member has within the
policy's window. `decide` turns that count into a step: nothing, a warning, or a Discord
timeout. The Discord side carries the step out; nothing here knows about Discord.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

# Discord refuses a timeout longer than 28 days.
MAX_TIMEOUT_SECONDS = 28 * 86400
# The refusal code of older proxies for a banned prompt (mj-protocol §2).
BANNED_CODE = 24

# failReason texts that mean Midjourney's moderation refused the prompt or image, matched
# case-insensitively anywhere in the text (mj-protocol §4, and Midjourney's own wording, which
# some upstreams pass through). Timeouts and queue failures never match.
_MODERATION = re.compile(
    r"敏感词"  # "可能包含敏感词": "may contain sensitive words"
    r"|banned\s+(?:prompt|word)"
    r"|moderat(?:ion|or)"
    r"|image\s+filter"
    r"|image\s+denied"
    r"|community\s+(?:standards|guidelines)"
    r"|job\s+action\s+restricted",
    re.IGNORECASE,
)
# "banned" alone counts too, unless the text is about an upstream account being banned:
# that is not the member's doing.
_BANNED = re.compile(r"\bbanned\b", re.IGNORECASE)
_ACCOUNT = re.compile(r"\baccount\b|账号|账户", re.IGNORECASE)


class Step(StrEnum):
    NONE = "none"
    WARN = "warn"
    TIMEOUT = "timeout"


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """A guild's escalation rules. `warn_at == timeout_at` means no warning before the first
    timeout; `enabled=False` keeps recording hits but never acts on them."""

    warn_at: int = 1
    timeout_at: int = 3
    window_seconds: float = 86400
    timeout_seconds: float = 3600
    enabled: bool = True

    def __post_init__(self) -> None:
        if not _whole(self.warn_at) or self.warn_at < 1:
            raise ValueError("warn_at must be a whole number ≥ 1")
        if not _whole(self.timeout_at) or self.timeout_at < self.warn_at:
            raise ValueError("timeout_at must be a whole number ≥ warn_at")
        if not _seconds(self.window_seconds):
            raise ValueError("window_seconds must be a number of seconds > 0")
        if not _seconds(self.timeout_seconds) or self.timeout_seconds > MAX_TIMEOUT_SECONDS:
            raise ValueError(f"timeout_seconds must be > 0 and ≤ {MAX_TIMEOUT_SECONDS} (28 days)")
        if not isinstance(self.enabled, bool):
            raise ValueError("enabled must be true or false")


def decide(policy: EscalationPolicy, hits_in_window: int) -> Step:
    """The step for the hit that brought the member's count to `hits_in_window`.

    TIMEOUT at timeout_at and each further multiple of it (3, 6, 9 …), so a member already
    timed out is not timed out again by every later hit within the window; WARN for every
    other hit from warn_at on.
    """
    if not _whole(hits_in_window) or hits_in_window < 0:
        raise ValueError("hits_in_window must be a whole number ≥ 0")
    if not policy.enabled or hits_in_window == 0:
        return Step.NONE
    if hits_in_window % policy.timeout_at == 0:
        return Step.TIMEOUT
    if hits_in_window >= policy.warn_at:
        return Step.WARN
    return Step.NONE


def hits_until_timeout(policy: EscalationPolicy, hits_in_window: int) -> int:
    """How many more hits within the window lead to the next timeout (for the warning)."""
    if not _whole(hits_in_window) or hits_in_window < 0:
        raise ValueError("hits_in_window must be a whole number ≥ 0")
    return policy.timeout_at - hits_in_window % policy.timeout_at


def is_moderation_refusal(code: int | None, fail_reason: str | None) -> bool:
    """Whether upstream refused the job for its content: the legacy submit code 24, or a
    failed task whose failReason is one of Midjourney's moderation texts."""
    if code == BANNED_CODE:
        return True
    text = fail_reason or ""
    if _MODERATION.search(text):
        return True
    return _BANNED.search(text) is not None and _ACCOUNT.search(text) is None
