"""What a task's button is, from its `customId` (mj-protocol.md §5).

The bot shows every button a task returns, known or not, in the task's order; this classifier
only adds what the UI needs: a row group laid out like Midjourney's, whether pressing it leads
to a modal, whether remix applies, and a text label for emoji-only buttons (screen readers).
`customId`s change per task: match on the family, never on a whole id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.cometapi.models import Button


class ButtonKind(StrEnum):
    UPSAMPLE = "upsample"  # U1-U4 on a grid
    VARIATION = "variation"  # V1-V4 on a grid; "Make Variations" on an old single image
    REROLL = "reroll"
    UPSCALE = "upscale"  # upsample_v5_2x/4x, v6/v6r1/v7 subtle/creative
    REDO_UPSCALE = "redo_upscale"
    LOW_VARIATION = "low_variation"  # Vary (Subtle)
    HIGH_VARIATION = "high_variation"  # Vary (Strong)
    INPAINT = "inpaint"  # Vary (Region)
    ZOOM_OUT = "zoom_out"  # Outpaint 50 (2x) / 75 (1.5x)
    MAKE_SQUARE = "make_square"  # Outpaint 100
    CUSTOM_ZOOM = "custom_zoom"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    PAN_UP = "pan_up"
    PAN_DOWN = "pan_down"
    ANIMATE_HIGH = "animate_high"
    ANIMATE_LOW = "animate_low"
    EXTEND_HIGH = "animate_high_extend"
    EXTEND_LOW = "animate_low_extend"
    VIDEO_UPSCALE = "video_virtual_upscale"
    BOOKMARK = "bookmark"
    PIC_READER = "pic_reader"  # describe: imagine prompt N
    PIC_READER_ALL = "pic_reader_all"
    PIC_READER_RETRY = "pic_reader_retry"
    PROMPT_ANALYZER = "prompt_analyzer"  # shorten: pick prompt N
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ButtonInfo:
    kind: ButtonKind
    index: int | None
    needs_modal: bool  # always opens a modal (region mask, zoom factor, describe prompt)
    row_group: str  # "U", "V", "upscale", "vary", "zoom", "pan", "animate", "describe", "misc"
    accessible_label: str
    remixable: bool  # with remix on, pressing it goes to MODAL for an edited prompt


def needs_modal(info: ButtonInfo, remix: bool) -> bool:
    """Whether pressing the button must be followed by `/mj/submit/modal`."""
    return info.needs_modal or (remix and info.remixable)


_REMIXABLE = frozenset(
    {
        ButtonKind.VARIATION,
        ButtonKind.LOW_VARIATION,
        ButtonKind.HIGH_VARIATION,
        ButtonKind.REROLL,
        ButtonKind.PAN_LEFT,
        ButtonKind.PAN_RIGHT,
        ButtonKind.PAN_UP,
        ButtonKind.PAN_DOWN,
        ButtonKind.ANIMATE_HIGH,
        ButtonKind.ANIMATE_LOW,
    }
)
_MODAL = frozenset({ButtonKind.INPAINT, ButtonKind.CUSTOM_ZOOM, ButtonKind.PIC_READER})

_ROW: dict[ButtonKind, str] = {
    ButtonKind.UPSAMPLE: "U",
    ButtonKind.REROLL: "U",  # Midjourney puts 🔄 at the end of the U row
    ButtonKind.VIDEO_UPSCALE: "U",  # U1-U4 under a video grid
    ButtonKind.VARIATION: "V",
    ButtonKind.UPSCALE: "upscale",
    ButtonKind.REDO_UPSCALE: "upscale",
    ButtonKind.LOW_VARIATION: "vary",
    ButtonKind.HIGH_VARIATION: "vary",
    ButtonKind.INPAINT: "vary",
    ButtonKind.ZOOM_OUT: "zoom",
    ButtonKind.MAKE_SQUARE: "zoom",
    ButtonKind.CUSTOM_ZOOM: "zoom",
    ButtonKind.PAN_LEFT: "pan",
    ButtonKind.PAN_RIGHT: "pan",
    ButtonKind.PAN_UP: "pan",
    ButtonKind.PAN_DOWN: "pan",
    ButtonKind.ANIMATE_HIGH: "animate",
    ButtonKind.ANIMATE_LOW: "animate",
    ButtonKind.EXTEND_HIGH: "animate",
    ButtonKind.EXTEND_LOW: "animate",
    ButtonKind.PIC_READER: "describe",
    ButtonKind.PIC_READER_ALL: "describe",
    ButtonKind.PIC_READER_RETRY: "describe",
    ButtonKind.PROMPT_ANALYZER: "describe",
    ButtonKind.BOOKMARK: "misc",
    ButtonKind.UNKNOWN: "misc",
}

_FIXED_LABEL: dict[ButtonKind, str] = {
    ButtonKind.REROLL: "Reroll",
    ButtonKind.LOW_VARIATION: "Vary (Subtle)",
    ButtonKind.HIGH_VARIATION: "Vary (Strong)",
    ButtonKind.INPAINT: "Vary (Region)",
    ButtonKind.MAKE_SQUARE: "Make square",
    ButtonKind.CUSTOM_ZOOM: "Custom zoom",
    ButtonKind.PAN_LEFT: "Pan left",
    ButtonKind.PAN_RIGHT: "Pan right",
    ButtonKind.PAN_UP: "Pan up",
    ButtonKind.PAN_DOWN: "Pan down",
    ButtonKind.ANIMATE_HIGH: "Animate (High motion)",
    ButtonKind.ANIMATE_LOW: "Animate (Low motion)",
    ButtonKind.EXTEND_HIGH: "Extend (High motion)",
    ButtonKind.EXTEND_LOW: "Extend (Low motion)",
    ButtonKind.BOOKMARK: "Favourite",
    ButtonKind.PIC_READER_ALL: "Imagine all",
    ButtonKind.PIC_READER_RETRY: "Retry describe",
}

_ZOOM_LABEL = {"50": "Zoom out 2x", "75": "Zoom out 1.5x"}
_JOB_KINDS = {
    "upsample": ButtonKind.UPSAMPLE,
    "variation": ButtonKind.VARIATION,
    "reroll": ButtonKind.REROLL,
    "low_variation": ButtonKind.LOW_VARIATION,
    "high_variation": ButtonKind.HIGH_VARIATION,
    "pan_left": ButtonKind.PAN_LEFT,
    "pan_right": ButtonKind.PAN_RIGHT,
    "pan_up": ButtonKind.PAN_UP,
    "pan_down": ButtonKind.PAN_DOWN,
    "animate_high": ButtonKind.ANIMATE_HIGH,
    "animate_low": ButtonKind.ANIMATE_LOW,
    "animate_high_extend": ButtonKind.EXTEND_HIGH,
    "animate_low_extend": ButtonKind.EXTEND_LOW,
    "video_virtual_upscale": ButtonKind.VIDEO_UPSCALE,
    "picreader": ButtonKind.PIC_READER,
    "promptanalyzer": ButtonKind.PROMPT_ANALYZER,
}


def _number(parts: list[str], position: int) -> int | None:
    if position < len(parts) and parts[position].strip().isdigit():
        return int(parts[position])
    return None


def _identify(custom_id: str, label: str) -> tuple[ButtonKind, int | None, str]:
    """(kind, index, detail) from the customId grammar `MJ::<family>::…::<hash>[::SOLO]`."""
    parts = custom_id.split("::")
    if len(parts) < 2 or parts[0].upper() != "MJ":
        return ButtonKind.UNKNOWN, None, ""
    family = parts[1].lower()
    solo = parts[-1].upper() == "SOLO"
    if family == "job" and len(parts) >= 3:
        job = parts[2].lower()
        kind = _JOB_KINDS.get(job)
        if kind is ButtonKind.PIC_READER and len(parts) > 3 and parts[3].lower() == "all":
            return ButtonKind.PIC_READER_ALL, None, ""
        if kind is None and job.startswith("upsample_"):
            redo = label.strip().lower().startswith("redo")
            return (ButtonKind.REDO_UPSCALE if redo else ButtonKind.UPSCALE), None, job
        if kind is None:
            return ButtonKind.UNKNOWN, None, ""
        indexed = {
            ButtonKind.UPSAMPLE,
            ButtonKind.VARIATION,
            ButtonKind.VIDEO_UPSCALE,
            ButtonKind.PIC_READER,
            ButtonKind.PROMPT_ANALYZER,
        }
        index = _number(parts, 3) if kind in indexed and not solo else None
        return kind, index, ""
    if family == "inpaint":
        return ButtonKind.INPAINT, None, ""
    if family == "outpaint" and len(parts) >= 3:
        amount = parts[2].strip()
        if amount == "100":
            return ButtonKind.MAKE_SQUARE, None, amount
        return ButtonKind.ZOOM_OUT, None, amount
    if family == "customzoom":
        return ButtonKind.CUSTOM_ZOOM, None, ""
    if family == "bookmark":
        return ButtonKind.BOOKMARK, None, ""
    if family == "picread" and len(parts) >= 3 and parts[2].lower() == "retry":
        return ButtonKind.PIC_READER_RETRY, None, ""
    return ButtonKind.UNKNOWN, None, ""


def _upscale_label(detail: str, redo: bool) -> str:
    """`upsample_v7_2x_subtle` → "Upscale (Subtle)", `upsample_v5_4x` → "Upscale (4x)"."""
    words = detail.split("_")
    if "subtle" in words:
        flavour = "Subtle"
    elif "creative" in words:
        flavour = "Creative"
    else:
        flavour = next((w for w in reversed(words) if w.endswith("x") and w[:-1].isdigit()), "")
    text = f"Upscale ({flavour})" if flavour else "Upscale"
    return f"Redo {text}" if redo else text


def _default_label(kind: ButtonKind, index: int | None, detail: str, emoji: str) -> str:
    if kind in _FIXED_LABEL:
        return _FIXED_LABEL[kind]
    if kind in (ButtonKind.UPSAMPLE, ButtonKind.VIDEO_UPSCALE):
        return f"U{index}" if index else "Upscale"
    if kind is ButtonKind.VARIATION:
        return f"V{index}" if index else "Make variations"
    if kind in (ButtonKind.UPSCALE, ButtonKind.REDO_UPSCALE):
        return _upscale_label(detail, kind is ButtonKind.REDO_UPSCALE)
    if kind is ButtonKind.ZOOM_OUT:
        return _ZOOM_LABEL.get(detail, "Zoom out")
    if kind in (ButtonKind.PIC_READER, ButtonKind.PROMPT_ANALYZER):
        return f"Prompt {index}" if index else "Prompt"
    # Unknown: a custom emoji name such as `upscale_1` still reads better than nothing.
    name = emoji.replace("_", " ").strip() if emoji.isascii() else ""
    return name.capitalize() if name else "Button"


def classify(button: Button) -> ButtonInfo:
    """Classify one button. Never raises; an unknown family is `UNKNOWN` in the "misc" row."""
    kind, index, detail = _identify(button.custom_id, button.label)
    label = button.label.strip()
    return ButtonInfo(
        kind=kind,
        index=index,
        needs_modal=kind in _MODAL,
        # A variation without an index is "Make Variations" on an old single image.
        row_group="vary" if kind is ButtonKind.VARIATION and index is None else _ROW[kind],
        accessible_label=label or _default_label(kind, index, detail, button.emoji),
        remixable=kind in _REMIXABLE,
    )
