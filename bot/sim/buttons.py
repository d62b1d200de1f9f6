"""The buttons a finished task carries (mj-protocol.md §5), and how a pressed customId is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sim.prompts import Version

Button = dict[str, Any]


def button(custom_id: str, label: str = "", emoji: str = "", style: int = 2) -> Button:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": style}


def grid_buttons(h: str) -> list[Button]:
    ups = [button(f"MJ::JOB::upsample::{i}::{h}", f"U{i}") for i in range(1, 5)]
    reroll = button(f"MJ::JOB::reroll::0::{h}::SOLO", emoji="🔄")
    vars_ = [button(f"MJ::JOB::variation::{i}::{h}", f"V{i}") for i in range(1, 5)]
    return [*ups, reroll, *vars_]


def _upscalers(h: str, v: Version, redo: bool) -> list[Button]:
    prefix = "Redo Upscale" if redo else "Upscale"
    if v.family == "8":
        return []
    if v.family == "5":
        return [
            button(f"MJ::JOB::upsample_v5_2x::1::{h}::SOLO", f"{prefix} (2x)", "upscale_1"),
            button(f"MJ::JOB::upsample_v5_4x::1::{h}::SOLO", f"{prefix} (4x)", "upscale_1"),
        ]
    tag = {"6": "v6", "6.1": "v6r1", "7": "v7"}[v.family]
    return [
        button(
            f"MJ::JOB::upsample_{tag}_2x_{kind}::1::{h}::SOLO", f"{prefix} ({label})", "upscale_1"
        )
        for kind, label in (("subtle", "Subtle"), ("creative", "Creative"))
    ]


def _tail(h: str, v: Version) -> list[Button]:
    animate = (
        [
            button(f"MJ::JOB::animate_high::1::{h}::SOLO", "Animate (High motion)", "🎞️"),
            button(f"MJ::JOB::animate_low::1::{h}::SOLO", "Animate (Low motion)", "🎞️"),
        ]
        if v.animates
        else []
    )
    return [
        *animate,
        button(f"MJ::BOOKMARK::{h}", emoji="❤️"),
        button(f"MJ::JOB::reroll::0::{h}::SOLO", emoji="🔄"),
    ]


def _varies(h: str) -> list[Button]:
    return [
        button(f"MJ::JOB::low_variation::1::{h}::SOLO", "Vary (Subtle)", "🪄"),
        button(f"MJ::JOB::high_variation::1::{h}::SOLO", "Vary (Strong)", "🪄"),
    ]


def _zooms(h: str) -> list[Button]:
    return [
        button(f"MJ::Outpaint::50::1::{h}::SOLO", "Zoom Out 2x", "🔍"),
        button(f"MJ::Outpaint::75::1::{h}::SOLO", "Zoom Out 1.5x", "🔍"),
        button(f"MJ::CustomZoom::1::{h}", "Custom Zoom", "🔍"),
    ]


def upscale_buttons(h: str, v: Version, size: tuple[int, int]) -> list[Button]:
    """After U1..U4: the single image's buttons, by model version."""
    square = (
        [button(f"MJ::Outpaint::100::1::{h}::SOLO", "Make Square")]
        if v.family == "5" and size[0] != size[1]
        else []
    )
    pans = [
        button(f"MJ::JOB::pan_{d}::1::{h}::SOLO", emoji=e)
        for d, e in (("left", "⬅️"), ("right", "➡️"), ("up", "⬆️"), ("down", "⬇️"))
    ]
    return [
        *_upscalers(h, v, redo=False),
        *_varies(h),
        button(f"MJ::Inpaint::1::{h}::SOLO", "Vary (Region)", "🖌️"),
        *_zooms(h),
        *square,
        *pans,
        *_tail(h, v),
    ]


def hd_upscale_buttons(h: str, v: Version) -> list[Button]:
    """After an HD (subtle / creative / 2x / 4x) upscale."""
    return [*_upscalers(h, v, redo=True), *_varies(h), *_zooms(h), *_tail(h, v)]


def video_buttons(task_id: str, upscaled: bool) -> list[Button]:
    ups = (
        []
        if upscaled
        else [
            button(f"MJ::JOB::video_virtual_upscale::{i}::{task_id}", f"U{i}") for i in range(1, 5)
        ]
    )
    return [
        *ups,
        button(f"MJ::JOB::animate_high_extend::1::{task_id}", "Extend (High motion)", "🎞️"),
        button(f"MJ::JOB::animate_low_extend::1::{task_id}", "Extend (Low motion)", "🎞️"),
    ]


def describe_buttons() -> list[Button]:
    keycaps = ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
    picks = [button(f"MJ::Job::PicReader::{i + 1}", emoji=k) for i, k in enumerate(keycaps)]
    return [
        *picks,
        button("MJ::Job::PicReader::all", "Imagine all"),
        button("MJ::Picread::Retry", emoji="🔄"),
    ]


@dataclass(frozen=True)
class Pressed:
    """A customId read the way the simulator acts on it."""

    action: str  # the new task's action (UPSCALE, VARIATION, ..., VIDEO, IMAGINE, DESCRIBE)
    op: str  # upsample, hd, variation, low, high, reroll, inpaint, zoom, square,
    # custom_zoom, pan, animate, extend, video_upscale, picreader, picread_retry
    index: int = 1
    arg: str = ""  # pan direction, video motion, HD kind
    remixable: bool = False  # enableRemix sends it to MODAL


def parse_custom_id(custom_id: str) -> Pressed | None:
    """None for families the gateway refuses (BOOKMARK, PicReader::all, ...)."""
    parts = custom_id.split("::")
    if len(parts) < 3 or parts[0] != "MJ":
        return None
    if parts[1] == "JOB" and len(parts) >= 4:
        return _parse_job(parts[2], parts[3])
    if parts[1] == "Inpaint":
        return Pressed("INPAINT", "inpaint")
    if parts[1] == "Outpaint" and parts[2] in ("50", "75", "100"):
        op = "square" if parts[2] == "100" else "zoom"
        return Pressed("ZOOM", op, arg={"50": "2", "75": "1.5", "100": "1"}[parts[2]])
    if parts[1] == "CustomZoom":
        return Pressed("CUSTOM_ZOOM", "custom_zoom")
    if parts[1] == "Job" and parts[2] == "PicReader" and len(parts) == 4:
        if parts[3] in ("1", "2", "3", "4"):
            return Pressed("IMAGINE", "picreader", index=int(parts[3]))
        return None
    if parts[1] == "Picread" and parts[2] == "Retry":
        return Pressed("DESCRIBE", "picread_retry")
    return None


def _parse_job(name: str, index_text: str) -> Pressed | None:
    try:
        index = int(index_text)
    except ValueError:
        return None
    if name == "upsample" and 1 <= index <= 4:
        return Pressed("UPSCALE", "upsample", index=index)
    if name.startswith("upsample_"):
        return Pressed("UPSCALE", "hd", arg=name)
    if name == "variation" and 1 <= index <= 4:
        return Pressed("VARIATION", "variation", index=index, remixable=True)
    if name in ("low_variation", "high_variation"):
        return Pressed(name.upper(), name.split("_")[0], remixable=True)
    if name == "reroll":
        return Pressed("REROLL", "reroll", remixable=True)
    if name in ("pan_left", "pan_right", "pan_up", "pan_down"):
        return Pressed("PAN", "pan", arg=name[4:], remixable=True)
    if name in ("animate_high", "animate_low"):
        return Pressed("VIDEO", "animate", arg=name[8:], remixable=True)
    if name in ("animate_high_extend", "animate_low_extend"):
        return Pressed("VIDEO", "extend", arg=name.split("_")[1])
    if name == "video_virtual_upscale" and 1 <= index <= 4:
        return Pressed("VIDEO", "video_upscale", index=index)
    return None
