"""Typed records of CometAPI's Midjourney wire format (mj-protocol.md §2, §4), parsed tolerantly.

Every field may be missing, `null`, `""`, a number where a string is documented, or localized
text: parsing never raises on a dict, and unknown enum values map to `UNKNOWN`. The camelCase
wire shape is written only here (`from_dict` / `to_dict`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any

# The readers live in fields.py; re-exported (`as` form) where callers have always found them.
from bot.cometapi.fields import as_int as as_int
from bot.cometapi.fields import as_mapping as as_mapping
from bot.cometapi.fields import as_str as as_str
from bot.cometapi.fields import as_time, split_task_ids, url_list
from bot.cometapi.fields import parse_progress as parse_progress

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class SpeedMode(StrEnum):
    """Speed tier, sent as a path prefix. Values match `bot.settings.Mode`."""

    FAST = "fast"
    TURBO = "turbo"
    RELAX = "relax"

    @property
    def prefix(self) -> str:
        return f"/mj-{self.value}"

    @property
    def account_mode(self) -> str:
        """The spelling `accountFilter.modes` uses."""
        return self.name


class TaskStatus(Enum):
    EMPTY = ""
    NOT_START = "NOT_START"
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    MODAL = "MODAL"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCEL = "CANCEL"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: object) -> TaskStatus:
        if value is None:
            return cls.EMPTY
        if not isinstance(value, str):
            return cls.UNKNOWN
        try:
            return cls(value.strip().upper())
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_modal(self) -> bool:
        return self is TaskStatus.MODAL

    @property
    def is_pending(self) -> bool:
        # UNKNOWN counts as still running: the bot keeps polling until its own deadline.
        return not self.is_terminal and not self.is_modal

    @property
    def rank(self) -> int:
        """Orders duplicate rows of one task id, to keep the most advanced (§5b). Duplicates
        exist only after `/mj/submit/modal`, where the MODAL row is the stale one, so MODAL
        ranks lowest, below the fresh row's "" too. Not a lifecycle order: "" → MODAL is normal."""
        return _RANK[self]


_TERMINAL = frozenset({TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCEL})
_RANK = {
    TaskStatus.MODAL: 0,
    TaskStatus.UNKNOWN: 1,
    TaskStatus.EMPTY: 1,
    TaskStatus.NOT_START: 2,
    TaskStatus.SUBMITTED: 3,
    TaskStatus.IN_PROGRESS: 4,
    TaskStatus.SUCCESS: 5,
    TaskStatus.FAILURE: 5,
    TaskStatus.CANCEL: 5,
}


class TaskAction(Enum):
    IMAGINE = "IMAGINE"
    UPSCALE = "UPSCALE"
    VARIATION = "VARIATION"
    LOW_VARIATION = "LOW_VARIATION"
    HIGH_VARIATION = "HIGH_VARIATION"
    REROLL = "REROLL"
    PAN = "PAN"
    ZOOM = "ZOOM"
    CUSTOM_ZOOM = "CUSTOM_ZOOM"
    INPAINT = "INPAINT"
    MODAL = "MODAL"
    DESCRIBE = "DESCRIBE"
    BLEND = "BLEND"
    SHORTEN = "SHORTEN"
    VIDEO = "VIDEO"
    EDITS = "EDITS"
    UPLOAD = "UPLOAD"
    SWAP_FACE = "SWAP_FACE"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: object) -> TaskAction:
        if not isinstance(value, str):
            return cls.UNKNOWN
        try:
            return cls(value.strip().upper())
        except ValueError:
            return cls.UNKNOWN


# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitResult:
    """A submit envelope (§2). `result` is kept as sent; `task_ids` are its ids when it is one
    valid id or a comma-separated list of them ("id1,id2" from a multi-job action), and
    `task_id` the first. A `result` that is not such a list leaves both empty: the client
    refuses an accepted submit like that, because the id would be stored and polled."""

    code: int
    description: str
    task_id: str | None
    properties: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    task_ids: tuple[str, ...] = ()
    result: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubmitResult:
        result = as_str(data.get("result")).strip()
        ids = split_task_ids(result) or ()
        return cls(
            code=as_int(data.get("code"), 0) or 0,
            description=as_str(data.get("description")),
            task_id=ids[0] if ids else None,
            properties=as_mapping(data.get("properties")),
            task_ids=ids,
            result=result,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "result": self.result or self.task_id,
            "properties": dict(self.properties),
        }

    @property
    def is_modal(self) -> bool:
        return self.code == 21

    @property
    def queue_ahead(self) -> int | None:
        return as_int(self.properties.get("numberOfQueues"))

    @property
    def banned_word(self) -> str | None:
        return as_str(self.properties.get("bannedWord")) or None


@dataclass(frozen=True)
class Button:
    custom_id: str
    emoji: str = ""
    label: str = ""
    style: int = 2
    type: int = 2

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Button:
        emoji = data.get("emoji")
        if isinstance(emoji, Mapping):  # a Discord emoji object instead of its name
            emoji = emoji.get("name")
        return cls(
            custom_id=as_str(data.get("customId")),
            emoji=as_str(emoji),
            label=as_str(data.get("label")),
            style=as_int(data.get("style"), 2) or 2,
            type=as_int(data.get("type"), 2) or 2,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "customId": self.custom_id,
            "emoji": self.emoji,
            "label": self.label,
            "type": self.type,
            "style": self.style,
        }


def _buttons(value: object) -> tuple[Button, ...]:
    if not isinstance(value, list):
        return ()
    found = (Button.from_dict(item) for item in value if isinstance(item, Mapping))
    return tuple(b for b in found if b.custom_id)


@dataclass(frozen=True)
class Task:
    """The task object of fetch / list-by-condition / webhook (§4)."""

    id: str
    action: TaskAction = TaskAction.UNKNOWN
    action_raw: str = ""
    status: TaskStatus = TaskStatus.EMPTY
    status_raw: str = ""
    progress: int | None = None
    prompt: str = ""
    prompt_en: str = ""
    final_prompt: str = ""
    description: str = ""
    state: str = ""
    custom_id: str = ""
    bot_type: str = ""
    submit_time: int = 0
    start_time: int = 0
    finish_time: int = 0
    image_url: str = ""
    video_url: str = ""
    video_urls: tuple[str, ...] = ()
    image_urls: tuple[str, ...] = ()
    fail_reason: str = ""
    buttons: tuple[Button, ...] = ()
    mask_base64: str = ""
    properties: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:
        props = as_mapping(data.get("properties"))
        prompt_en = as_str(data.get("promptEn"))
        image_urls = data.get("image_urls")
        if image_urls is None:
            image_urls = data.get("imageUrls")
        return cls(
            id=as_str(data.get("id")).strip(),
            action=TaskAction.parse(data.get("action")),
            action_raw=as_str(data.get("action")),
            status=TaskStatus.parse(data.get("status")),
            status_raw=as_str(data.get("status")),
            progress=parse_progress(data.get("progress")),
            prompt=as_str(data.get("prompt")),
            prompt_en=prompt_en,
            final_prompt=as_str(props.get("finalPrompt")) or prompt_en,
            description=as_str(data.get("description")),
            state=as_str(data.get("state")),
            custom_id=as_str(data.get("customId")),
            bot_type=as_str(data.get("botType")),
            submit_time=as_time(data.get("submitTime")),
            start_time=as_time(data.get("startTime")),
            finish_time=as_time(data.get("finishTime")),
            image_url=as_str(data.get("imageUrl")),
            video_url=as_str(data.get("videoUrl")),
            video_urls=url_list(data.get("videoUrls")),
            image_urls=url_list(image_urls),
            fail_reason=as_str(data.get("failReason")),
            buttons=_buttons(data.get("buttons")),
            mask_base64=as_str(data.get("maskBase64")),
            properties=props,
            raw=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action_raw or self.action.value,
            "customId": self.custom_id,
            "botType": self.bot_type,
            "prompt": self.prompt,
            "promptEn": self.prompt_en,
            "description": self.description,
            "state": self.state,
            "submitTime": self.submit_time,
            "startTime": self.start_time,
            "finishTime": self.finish_time,
            "imageUrl": self.image_url,
            "videoUrl": self.video_url,
            "videoUrls": [{"url": u} for u in self.video_urls],
            "image_urls": list(self.image_urls),
            "status": self.status_raw if self.status is TaskStatus.UNKNOWN else self.status.value,
            "progress": "" if self.progress is None else f"{self.progress}%",
            "failReason": self.fail_reason,
            "buttons": [b.to_dict() for b in self.buttons],
            "maskBase64": self.mask_base64,
            "properties": dict(self.properties),
        }

    @property
    def advancement(self) -> tuple[int, int]:
        """Sort key for "most advanced" among rows of one task: status rank, then progress."""
        return (self.status.rank, -1 if self.progress is None else self.progress)

    @property
    def all_video_urls(self) -> tuple[str, ...]:
        urls = [self.video_url] if self.video_url else []
        return tuple(dict.fromkeys([*urls, *self.video_urls]))


def most_advanced(current: Task | None, candidate: Task) -> Task:
    """The more advanced of two rows for one task id; ties keep `current` (first seen)."""
    if current is None or candidate.advancement > current.advancement:
        return candidate
    return current


_KEYCAP = re.compile(r"^\s*[1-4]\uFE0F?\u20E3\s*")


def split_describe_prompts(final_prompt: str) -> list[str]:
    """The prompts of a describe result: one per non-blank line, without `1️⃣`-style keycaps."""
    prompts = []
    for line in final_prompt.splitlines():
        text = _KEYCAP.sub("", line).strip()
        if text:
            prompts.append(text)
    return prompts


_ANY_KEYCAP = re.compile(r"^\s*[0-9]\uFE0F?\u20E3\s*")


def split_shorten(final_prompt: str) -> tuple[str, list[str]]:
    """A shorten result (markdown: `## Important tokens`, then `## Shortened prompts` with five
    numbered lines): the tokens line and the prompts."""
    tokens: list[str] = []
    prompts: list[str] = []
    section = ""
    for line in final_prompt.splitlines():
        text = line.strip()
        if text.startswith("#"):
            section = text.lstrip("#").strip().lower()
        elif text and section.startswith("important"):
            tokens.append(text)
        elif text and section.startswith("shortened"):
            prompts.append(_ANY_KEYCAP.sub("", text).strip())
    return " ".join(tokens), [p for p in prompts if p]
