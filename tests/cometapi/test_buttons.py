"""The button classifier over every family of mj-protocol.md §5, unknown ones included."""

from __future__ import annotations

import pytest

from bot.cometapi.buttons import ButtonKind, classify, needs_modal
from bot.cometapi.models import Button

H = "3785da15-4f70-4034-9128-f3ff1ac634fa"

K = ButtonKind
S = f"{H}::SOLO"
V = "1773314942177684"  # video buttons carry the task id instead of a hash

# customId, emoji, label → kind, index, row, accessible label, needs modal, remixable
# fmt: off
CASES = [
    (f"MJ::JOB::upsample::1::{H}", "", "U1", K.UPSAMPLE, 1, "U", "U1", False, False),
    (f"MJ::JOB::upsample::4::{H}", "", "", K.UPSAMPLE, 4, "U", "U4", False, False),
    (f"MJ::JOB::reroll::0::{S}", "🔄", "", K.REROLL, None, "U", "Reroll", False, True),
    (f"MJ::JOB::variation::2::{H}", "", "V2", K.VARIATION, 2, "V", "V2", False, True),
    (f"MJ::JOB::variation::1::{S}", "🪄", "Make Variations", K.VARIATION, None, "vary",
     "Make Variations", False, True),
    (f"MJ::JOB::upsample_v5_2x::1::{S}", "", "", K.UPSCALE, None, "upscale", "Upscale (2x)",
     False, False),
    (f"MJ::JOB::upsample_v5_4x::1::{S}", "upscale_1", "Upscale (4x)", K.UPSCALE, None,
     "upscale", "Upscale (4x)", False, False),
    (f"MJ::JOB::upsample_v6_2x_subtle::1::{S}", "upscale_1", "", K.UPSCALE, None, "upscale",
     "Upscale (Subtle)", False, False),
    (f"MJ::JOB::upsample_v6r1_2x_creative::1::{S}", "upscale_1", "", K.UPSCALE, None,
     "upscale", "Upscale (Creative)", False, False),
    (f"MJ::JOB::upsample_v7_2x_subtle::1::{S}", "upscale_1", "Upscale (Subtle)", K.UPSCALE,
     None, "upscale", "Upscale (Subtle)", False, False),
    (f"MJ::JOB::upsample_v7_2x_creative::1::{S}", "upscale_1", "Redo Upscale (Creative)",
     K.REDO_UPSCALE, None, "upscale", "Redo Upscale (Creative)", False, False),
    (f"MJ::JOB::low_variation::1::{S}", "🪄", "", K.LOW_VARIATION, None, "vary",
     "Vary (Subtle)", False, True),
    (f"MJ::JOB::high_variation::1::{S}", "🪄", "Vary (Strong)", K.HIGH_VARIATION, None,
     "vary", "Vary (Strong)", False, True),
    (f"MJ::Inpaint::1::{S}", "🖌️", "", K.INPAINT, None, "vary", "Vary (Region)", True, False),
    (f"MJ::Outpaint::50::1::{S}", "🔍", "", K.ZOOM_OUT, None, "zoom", "Zoom out 2x", False,
     False),
    (f"MJ::Outpaint::75::1::{S}", "🔍", "", K.ZOOM_OUT, None, "zoom", "Zoom out 1.5x", False,
     False),
    (f"MJ::Outpaint::100::1::{S}", "", "", K.MAKE_SQUARE, None, "zoom", "Make square", False,
     False),
    (f"MJ::CustomZoom::{H}", "🔍", "", K.CUSTOM_ZOOM, None, "zoom", "Custom zoom", True, False),
    (f"MJ::CustomZoom::1::{H}", "🔍", "Custom Zoom", K.CUSTOM_ZOOM, None, "zoom",
     "Custom Zoom", True, False),
    (f"MJ::JOB::pan_left::1::{S}", "⬅️", "", K.PAN_LEFT, None, "pan", "Pan left", False, True),
    (f"MJ::JOB::pan_right::1::{S}", "➡️", "", K.PAN_RIGHT, None, "pan", "Pan right", False,
     True),
    (f"MJ::JOB::pan_up::1::{S}", "⬆️", "", K.PAN_UP, None, "pan", "Pan up", False, True),
    (f"MJ::JOB::pan_down::1::{S}", "⬇️", "", K.PAN_DOWN, None, "pan", "Pan down", False, True),
    (f"MJ::JOB::animate_high::1::{S}", "🎞️", "Animate (High motion)", K.ANIMATE_HIGH, None,
     "animate", "Animate (High motion)", False, True),
    (f"MJ::JOB::animate_low::1::{S}", "🎞️", "", K.ANIMATE_LOW, None, "animate",
     "Animate (Low motion)", False, True),
    (f"MJ::JOB::animate_high_extend::1::{V}", "", "Extend", K.EXTEND_HIGH, None, "animate",
     "Extend", False, False),
    (f"MJ::JOB::animate_low_extend::1::{V}", "", "", K.EXTEND_LOW, None, "animate",
     "Extend (Low motion)", False, False),
    (f"MJ::JOB::video_virtual_upscale::3::{V}", "", "U3", K.VIDEO_UPSCALE, 3, "U", "U3",
     False, False),
    (f"MJ::BOOKMARK::{H}", "❤️", "", K.BOOKMARK, None, "misc", "Favourite", False, False),
    ("MJ::Job::PicReader::1", "1️⃣", "", K.PIC_READER, 1, "describe", "Prompt 1", True, False),
    ("MJ::Job::PicReader::4", "4️⃣", "", K.PIC_READER, 4, "describe", "Prompt 4", True, False),
    ("MJ::Job::PicReader::all", "", "Imagine all", K.PIC_READER_ALL, None, "describe",
     "Imagine all", False, False),
    ("MJ::Picread::Retry", "🔄", "", K.PIC_READER_RETRY, None, "describe", "Retry describe",
     False, False),
    ("MJ::JOB::PromptAnalyzer::2", "", "", K.PROMPT_ANALYZER, 2, "describe", "Prompt 2", False,
     False),
    # Unknown families are passed through untouched.
    (f"MJ::JOB::teleport::1::{H}", "", "Teleport", K.UNKNOWN, None, "misc", "Teleport", False,
     False),
    (f"MJ::Warp::{H}", "warp_drive", "", K.UNKNOWN, None, "misc", "Warp drive", False, False),
    ("something-else", "✨", "", K.UNKNOWN, None, "misc", "Button", False, False),
    ("", "", "", K.UNKNOWN, None, "misc", "Button", False, False),
]
# fmt: on


@pytest.mark.parametrize(
    ("custom_id", "emoji", "label", "kind", "index", "row", "text", "modal", "remix"),
    CASES,
    ids=[c[0][:40] or "empty" for c in CASES],
)
def test_classify(
    custom_id: str,
    emoji: str,
    label: str,
    kind: ButtonKind,
    index: int | None,
    row: str,
    text: str,
    modal: bool,
    remix: bool,
) -> None:
    info = classify(Button(custom_id=custom_id, emoji=emoji, label=label))
    assert info.kind is kind
    assert info.index == index
    assert info.row_group == row
    assert info.accessible_label == text
    assert info.needs_modal is modal
    assert info.remixable is remix
    assert needs_modal(info, remix=False) is modal
    assert needs_modal(info, remix=True) is (modal or remix)


def test_family_names_are_case_insensitive() -> None:
    assert classify(Button(f"mj::job::UPSAMPLE::2::{H}")).kind is ButtonKind.UPSAMPLE
    assert classify(Button("MJ::JOB::PicReader::3")).kind is ButtonKind.PIC_READER
