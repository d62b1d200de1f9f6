"""Injected faults: what goes wrong between the bot and CometAPI, on demand.

A fault matches a request whose path starts with `match`, either as sent (`/mj-fast/mj/task`)
or with the speed prefix removed (`/mj/task`), so `match="/mj/submit"` hits every mode. It fires
`times` times (`None` = forever), then disappears.

Kinds:
  latency         sleep `delay` seconds, then answer normally
  status          answer HTTP `status` (429 carries `Retry-After: retry_after` when set)
  html            200 text/html page
  redirect        301 to another path
  empty           200 with an empty body
  null            200 with the body `null`
  truncated       the real answer (the request IS processed) cut in half
  drop            the request IS processed, then the connection closes without an answer
                  (after hanging `delay` seconds when `delay` > 0: a read timeout for the client)
  stick           tasks created by matching submits stop at IN_PROGRESS n%
  fail            tasks created by matching submits end in FAILURE, `failReason` = body or
                  "执行超时 5 分钟"
  upstream_error  400 {"description": "<body> ", "type": "upstream_error", "code": 4}
  bad_gzip        the request IS processed, then the answer says `Content-Encoding: gzip` but
                  its body is not gzip (httpx raises DecodingError)
  result          the request IS processed, and a submit answer's `result` becomes `body` with
                  `{id}` replaced by the real task id: body "{id},{id}9" gives a two-id answer,
                  "abc def" garbage (default "{id}": unchanged)
  not_image       a `/mj/image/...` GET answers 200 text/html with a small page (a challenge or
                  login page where a picture was expected); other requests never match it
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = frozenset(
    {
        "latency",
        "status",
        "html",
        "redirect",
        "empty",
        "null",
        "truncated",
        "drop",
        "stick",
        "fail",
        "upstream_error",
        "bad_gzip",
        "result",
        "not_image",
    }
)
# Faults that change the tasks a submit creates rather than the HTTP answer.
TASK_KINDS = frozenset({"stick", "fail"})
# Faults that need the handler's real answer first.
AFTER_KINDS = frozenset({"truncated", "drop", "bad_gzip", "result"})
DEFAULT_FAIL_REASON = "执行超时 5 分钟"


@dataclass
class Fault:
    kind: str
    match: str = "/"
    times: int | None = 1
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    body: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {sorted(KINDS)}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None")

    def matches(self, path: str, route: str) -> bool:
        if self.kind == "not_image" and not route.startswith("/mj/image/"):
            return False
        return path.startswith(self.match) or route.startswith(self.match)


class FaultSet:
    """The active faults, consumed in injection order."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def inject(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        return list(self._faults)

    def take(self, path: str, route: str, *, task_level: bool) -> Fault | None:
        """Consume one firing of the first matching fault of the wanted level."""
        for fault in self._faults:
            if (fault.kind in TASK_KINDS) != task_level or not fault.matches(path, route):
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return fault
        return None


def parse_fault_spec(spec: str) -> Fault:
    """Parse a command-line fault: `KIND[:ARG][:MATCH[:TIMES]]`.

    MATCH is the first field starting with "/" (default "/": every request); TIMES is an
    integer or "*" and defaults to forever (a CLI fault is usually meant to last). ARG by kind:
      status:CODE[,RETRY_AFTER]     status:503:/mj/task:3   status:429,2.5:/mj/submit
      latency:SECONDS               latency:2.0:/mj/submit
      drop[:HANG_SECONDS]           drop:/mj/submit/imagine:1   drop:30:/mj/submit
      fail[:REASON]                 fail:Image denied:/mj/submit/imagine
      upstream_error[:TEXT]         upstream_error:quota_not_enough:/mj/submit
      result[:BODY]                 result:{id},{id}9:/mj/submit/action:1
      html, redirect, empty, null, truncated, stick, bad_gzip, not_image take no ARG.
    """
    fields = spec.strip().split(":")
    kind = fields[0].strip()
    rest = fields[1:]
    match_at = next((i for i, f in enumerate(rest) if f.startswith("/")), None)
    if match_at is None:
        arg_fields, match, tail = rest, "/", []
    else:
        arg_fields, match, tail = rest[:match_at], rest[match_at], rest[match_at + 1 :]
    arg = ":".join(arg_fields) or None
    if len(tail) > 1:
        raise ValueError(f"bad fault spec {spec!r}: too many fields after the path")
    times: int | None = None
    if tail and tail[0] not in ("", "*"):
        try:
            times = int(tail[0])
        except ValueError:
            raise ValueError(f"bad fault spec {spec!r}: TIMES must be an integer") from None
    fault = Fault(kind=kind, match=match, times=times) if kind in KINDS else None
    if fault is None:
        raise ValueError(f"bad fault spec {spec!r}: unknown kind {kind!r}")
    try:
        _apply_arg(fault, arg)
    except ValueError as exc:
        raise ValueError(f"bad fault spec {spec!r}: {exc}") from None
    return fault


def _apply_arg(fault: Fault, arg: str | None) -> None:
    if fault.kind == "status":
        if arg is None:
            raise ValueError("status needs a code, e.g. status:503")
        code, _, retry = arg.partition(",")
        fault.status = int(code)
        fault.retry_after = float(retry) if retry else None
    elif fault.kind == "latency":
        if arg is None:
            raise ValueError("latency needs seconds, e.g. latency:2.0")
        fault.delay = float(arg)
    elif fault.kind == "drop":
        fault.delay = float(arg) if arg else 0.0
    elif fault.kind in ("fail", "upstream_error", "result"):
        fault.body = arg
    elif arg is not None:
        raise ValueError(f"{fault.kind} takes no argument")
