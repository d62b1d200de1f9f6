"""The one custom_id scheme. Only ids travel in a custom_id; the state is in the database.

    mj:v1:b:<job_id>:<button_index>     a button CometAPI returned for a job
    mj:v1:r:<session_id>:<op>           a Vary (Region) editor control (ops: REGION_OPS)

Custom ids come from the client: parse them strictly (anchored patterns, bounded numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INDEX = r"(?P<index>1?[0-9]|2[0-4])"  # 0..24: at most 25 buttons on a message
BUTTON_TEMPLATE = r"mj:v1:b:(?P<job>[1-9][0-9]{0,17}):" + _INDEX
_SESSION = r"(?P<session>[1-9][0-9]{0,17})"
# Chooser (paint, upload), editor (cells c0..c24, invert, clear, grow, shrink, go), upload
# confirmation (ok, no); "pre" is the preset select.
REGION_OPS = r"paint|upload|inv|clr|grow|shrink|go|ok|no|c(?:1?[0-9]|2[0-4])"
REGION_BUTTON_TEMPLATE = rf"mj:v1:r:{_SESSION}:(?P<op>{REGION_OPS})"
REGION_SELECT_TEMPLATE = rf"mj:v1:r:{_SESSION}:pre"
_ANY_REGION = rf"mj:v1:r:[1-9][0-9]{{0,17}}:(?:{REGION_OPS}|pre)\Z"
# In-memory components (choosers, editors) use this prefix; everything else that is not a
# valid job button is an expired or forged id and gets a sentence instead of silence.
EPHEMERAL_PREFIX = "mjx:"
MODLOG_PREFIX = "modlog:"
RETRY_TEMPLATE = r"mj:v1:t:(?P<job>[1-9][0-9]{0,17})"  # 🔄 Try again on a failed job
_ANY_RETRY = r"mj:v1:t:[1-9][0-9]{0,17}\Z"
SHORTEN_TEMPLATE = r"mj:v1:s:(?P<job>[1-9][0-9]{0,17}):(?P<n>[1-5])"  # a shortened prompt
_ANY_SHORTEN = r"mj:v1:s:[1-9][0-9]{0,17}:[1-5]\Z"
EXPIRED_TEMPLATE = (
    rf"(?!{BUTTON_TEMPLATE}\Z)(?!{_ANY_REGION})(?!{EPHEMERAL_PREFIX})(?!{MODLOG_PREFIX})"
    rf"(?!{_ANY_RETRY})(?!{_ANY_SHORTEN})"
    r"(?s:.{1,100})"
)
_BUTTON = re.compile(BUTTON_TEMPLATE + r"\Z")


@dataclass(frozen=True, slots=True)
class ButtonRef:
    job_id: int
    index: int

    @property
    def custom_id(self) -> str:
        return f"mj:v1:b:{self.job_id}:{self.index}"


@dataclass(frozen=True, slots=True)
class RegionRef:
    session_id: int
    op: str

    @property
    def custom_id(self) -> str:
        return f"mj:v1:r:{self.session_id}:{self.op}"


def parse_button(custom_id: str) -> ButtonRef | None:
    match = _BUTTON.match(custom_id)
    if not match:
        return None
    return ButtonRef(int(match["job"]), int(match["index"]))
