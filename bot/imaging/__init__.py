"""Pillow utilities: safe decoding, size fitting, Vary (Region) masks and previews.

Pure, synchronous functions with no Discord import; the bot calls them via asyncio.to_thread.
"""

from bot.imaging.errors import IMAGE_REASONS, MASK_REASONS, ImageRejected, MaskRejected
from bot.imaging.fit import fit_result, fit_to_limit, sniff_video, to_data_url
from bot.imaging.grid import PRESETS, Grid, Selection, grid_for
from bot.imaging.masks import (
    coverage,
    decode_mask_data_url,
    encode_mask,
    mask_from_selection,
    normalize_mask,
)
from bot.imaging.paint import SPLIT, CellButton, PaintState, fine_grid, paint_grid
from bot.imaging.painted import detect_mask_kind, mask_from_painted_copy, mask_from_upload
from bot.imaging.preview import (
    clear_preview_cache,
    is_cached,
    render_mask_preview,
    render_region_preview,
)
from bot.imaging.safe import ALLOWED_FORMATS, open_image, sniff_format
from bot.imaging.zoom import render_zoom_preview

__all__ = [
    "ALLOWED_FORMATS",
    "IMAGE_REASONS",
    "MASK_REASONS",
    "PRESETS",
    "SPLIT",
    "CellButton",
    "Grid",
    "ImageRejected",
    "MaskRejected",
    "PaintState",
    "Selection",
    "clear_preview_cache",
    "coverage",
    "decode_mask_data_url",
    "detect_mask_kind",
    "encode_mask",
    "fine_grid",
    "fit_result",
    "fit_to_limit",
    "grid_for",
    "is_cached",
    "mask_from_painted_copy",
    "mask_from_selection",
    "mask_from_upload",
    "normalize_mask",
    "open_image",
    "paint_grid",
    "render_mask_preview",
    "render_region_preview",
    "render_zoom_preview",
    "sniff_format",
    "sniff_video",
    "to_data_url",
]
