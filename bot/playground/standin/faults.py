"""Faults on demand: 429s with Discord's headers, 5xx, slow answers, dropped connections,
missing permissions, and a switchable per-channel bucket of message edits (about 5 per 5 s,
as observed)."""

from __future__ import annotations

import asyncio
import fnmatch
import math
import time
from collections import deque
from dataclasses import dataclass, field

from .clock import FakeClock
from .errors import MISSING_PERMISSIONS, ApiError, Dropped


@dataclass(eq=False)
class FaultRule:
    kind: str  # "ratelimit" | "status" | "delay" | "forbidden" | "disconnect"
    path: str = "*"
    method: str = "*"
    times: int | None = 1
    status: int = 500
    code: int = 0
    message: str = ""
    retry_after: float = 0.5
    is_global: bool = False
    scope: str = "user"
    bucket: str = "fake-bucket"
    delay: float = 0.0
    after: bool = False  # answer with the error after the request was processed
    hits: int = 0

    def matches(self, method: str, path: str, *, after: bool = False) -> bool:
        if self.after != after or (self.times is not None and self.hits >= self.times):
            return False
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)


@dataclass
class RateLimitHit:
    method: str
    path: str
    retry_after: float
    source: str


def rate_limit_error(
    retry_after: float,
    *,
    limit: int = 1,
    bucket: str = "fake-bucket",
    scope: str = "user",
    is_global: bool = False,
) -> ApiError:
    """A 429 the way Discord sends it: discord.py needs ``Via`` (else it blames Cloudflare),
    ``retry_after`` and ``global`` in the JSON body, and reads the ``X-RateLimit-*`` headers."""
    headers = {
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Scope": scope,
        "Via": "1.1 google",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return ApiError(
        429,
        0,
        "You are being rate limited.",
        headers=headers,
        extra={"retry_after": retry_after, "global": is_global},
    )


@dataclass
class EditBucket:
    limit: int = 5
    per: float = 5.0
    include_webhooks: bool = False
    windows: dict[int, deque[float]] = field(default_factory=dict)


class Faults:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.rules: list[FaultRule] = []
        self.rate_limits: list[RateLimitHit] = []
        self.edit_bucket_config: EditBucket | None = None

    # --- configuring -------------------------------------------------------------------
    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def rate_limit(
        self,
        path: str = "*",
        method: str = "*",
        *,
        retry_after: float = 0.3,
        times: int | None = 1,
        is_global: bool = False,
        scope: str = "user",
        bucket: str = "fake-bucket",
    ) -> FaultRule:
        """Answer matching requests with 429 (``path`` is a glob on the path after /api/v10)."""
        return self.add(
            FaultRule(
                "ratelimit",
                path,
                method,
                times,
                retry_after=retry_after,
                is_global=is_global,
                scope="global" if is_global else scope,
                bucket=bucket,
            )
        )

    def server_error(
        self,
        path: str = "*",
        method: str = "*",
        *,
        status: int = 500,
        times: int | None = 1,
        after: bool = False,
    ) -> FaultRule:
        """5xx (discord.py retries 500/502/504/524 after 1 s, 3 s, …, even a POST).

        ``after=True``: the request is processed normally (the message really is created or
        edited) and only then is its 2xx answer replaced by the 5xx; an error answer (4xx) is
        left alone and does not use the rule up."""
        return self.add(
            FaultRule(
                "status", path, method, times, status=status, message="Server Error", after=after
            )
        )

    def slow(
        self, path: str = "*", method: str = "*", *, delay: float = 1.0, times: int | None = None
    ) -> FaultRule:
        return self.add(FaultRule("delay", path, method, times, delay=delay))

    def disconnect(self, path: str = "*", method: str = "*", *, times: int | None = 1) -> FaultRule:
        """Close the connection without an answer, before the request is processed (as
        Discord or a proxy closing a kept-alive connection the client has just reused)."""
        return self.add(FaultRule("disconnect", path, method, times))

    def forbidden(
        self,
        path: str = "*",
        method: str = "*",
        *,
        times: int | None = None,
        code: int = MISSING_PERMISSIONS,
        message: str = "Missing Permissions",
    ) -> FaultRule:
        return self.add(FaultRule("forbidden", path, method, times, code=code, message=message))

    def edit_bucket(
        self,
        enabled: bool = True,
        *,
        limit: int = 5,
        per: float = 5.0,
        include_webhooks: bool = False,
    ) -> None:
        """Switch the per-channel message-edit bucket on (or off)."""
        self.edit_bucket_config = EditBucket(limit, per, include_webhooks) if enabled else None

    def remove(self, rule: FaultRule) -> None:
        if rule in self.rules:
            self.rules.remove(rule)

    def clear(self) -> None:
        self.rules.clear()
        self.edit_bucket_config = None

    # --- applying ----------------------------------------------------------------------
    async def before(self, method: str, path: str) -> ApiError | None:
        for rule in list(self.rules):
            if not rule.matches(method, path):
                continue
            rule.hits += 1
            if rule.kind == "delay":
                await asyncio.sleep(rule.delay)
                continue
            if rule.kind == "ratelimit":
                self.rate_limits.append(RateLimitHit(method, path, rule.retry_after, "fault"))
                return rate_limit_error(
                    rule.retry_after, bucket=rule.bucket, scope=rule.scope, is_global=rule.is_global
                )
            if rule.kind == "forbidden":
                return ApiError(403, rule.code, rule.message)
            if rule.kind == "disconnect":
                return Dropped()
            return ApiError(rule.status, 0, rule.message or f"{rule.status}: Server Error")
        return None

    def after(self, method: str, path: str) -> ApiError | None:
        """The 5xx that replaces a successful answer (rules made with ``after=True``)."""
        for rule in self.rules:
            if rule.matches(method, path, after=True):
                rule.hits += 1
                return ApiError(rule.status, 0, rule.message or f"{rule.status}: Server Error")
        return None

    def take_edit(
        self, channel_id: int, method: str, path: str, *, webhook: bool
    ) -> dict[str, str]:
        """Count a message edit in its channel; raise 429 when the bucket is empty.
        Returns the X-RateLimit headers of a successful edit."""
        config = self.edit_bucket_config
        if config is None or (webhook and not config.include_webhooks):
            return {}
        now = self.clock.monotonic()
        window = config.windows.setdefault(channel_id, deque())
        while window and window[0] <= now - config.per:
            window.popleft()
        bucket = "fake-message-edit"
        if len(window) >= config.limit:
            retry_after = round(window[0] + config.per - now, 3)
            self.rate_limits.append(RateLimitHit(method, path, retry_after, "edit-bucket"))
            raise rate_limit_error(retry_after, limit=config.limit, bucket=bucket, scope="shared")
        window.append(now)
        reset_after = window[0] + config.per - now
        return {
            "X-RateLimit-Limit": str(config.limit),
            "X-RateLimit-Remaining": str(config.limit - len(window)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
