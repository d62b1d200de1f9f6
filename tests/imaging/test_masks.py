"""Vary (Region) masks per mj-protocol.md §6, and refusal of bad masks (faults.md #30)."""

from __future__ import annotations

import base64

import pytest
from PIL import Image, ImageDraw, ImageFilter

from bot.imaging import (
    Grid,
    MaskRejected,
    Selection,
    coverage,
    decode_mask_data_url,
    encode_mask,
    mask_from_selection,
    normalize_mask,
)
from tests.imaging.helpers import encode, is_binary_opaque_l, noisy_image, reload


def _reason(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(MaskRejected) as info:
        call(*args)
    return info.value.reason_code


def _blob(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    img = Image.new("L", size, 0)
    ImageDraw.Draw(img).ellipse(box, fill=255)
    return img


def test_mask_from_selection_is_exact() -> None:
    grid = Grid(5, 3)
    sel = Selection.of(grid, [(0, 0), (4, 2)])
    mask = mask_from_selection(sel, 1456, 816)
    assert mask.size == (1456, 816)
    assert is_binary_opaque_l(mask)
    left, top, right, bottom = grid.cell_box((0, 0), 1456, 816)
    assert mask.getpixel((left, top)) == 255
    assert mask.getpixel((right - 1, bottom - 1)) == 255
    assert mask.getpixel((right, top)) == 0
    assert mask.getpixel((left, bottom)) == 0
    assert mask.getpixel((1455, 815)) == 255
    assert coverage(mask) == pytest.approx(2 / 15, abs=0.002)
    assert coverage(mask_from_selection(sel.clear(), 10, 10)) == 0.0


def test_normalize_thresholds_anti_aliased_grey() -> None:
    soft = _blob((512, 512), (100, 100, 400, 400)).filter(ImageFilter.GaussianBlur(4))
    mask = normalize_mask(soft.convert("RGB"), (512, 512))
    assert is_binary_opaque_l(mask)
    assert coverage(mask) == pytest.approx(coverage(_blob((512, 512), (100, 100, 400, 400))), 0.02)


def test_normalize_rescales_same_aspect() -> None:
    small = _blob((512, 288), (100, 50, 300, 200))
    mask = normalize_mask(small, (1456, 816))  # 16:9 both, within 1 %
    assert mask.size == (1456, 816)
    assert is_binary_opaque_l(mask)
    assert coverage(mask) == pytest.approx(coverage(small), rel=0.02)


def test_normalize_accepts_bytes_and_jpeg_damage() -> None:
    data = encode(_blob((400, 400), (50, 50, 250, 250)).convert("RGB"), "JPEG", quality=40)
    mask = normalize_mask(data, (800, 800))
    assert mask.size == (800, 800)
    assert is_binary_opaque_l(mask)


@pytest.mark.fault(30)
def test_normalize_refuses_other_aspect_empty_full_and_junk() -> None:
    blob = _blob((1000, 1000), (100, 100, 500, 500))
    assert _reason(normalize_mask, blob, (1000, 1100)) == "wrong_aspect"
    assert _reason(normalize_mask, blob, (1456, 816)) == "wrong_aspect"
    normalize_mask(blob, (1000, 1005))  # rounding of upscale sizes is tolerated
    assert _reason(normalize_mask, Image.new("L", (100, 100), 0), (100, 100)) == "empty"
    assert _reason(normalize_mask, Image.new("RGB", (100, 100), "white"), (100, 100)) == "full"
    assert _reason(normalize_mask, b"GIF89a-garbage", (100, 100)) == "not_an_image"
    assert _reason(normalize_mask, b"", (100, 100)) == "not_an_image"
    assert _reason(normalize_mask, b"%PDF-1.7", (100, 100)) == "not_an_image"


def test_normalize_alpha_mask_painted_means_regenerate() -> None:
    layer = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(layer).rectangle((0, 0, 99, 299), fill=(255, 0, 0, 255))  # red strokes
    mask = normalize_mask(layer, (300, 300))
    assert mask.getpixel((50, 150)) == 255
    assert mask.getpixel((200, 150)) == 0
    assert coverage(mask) == pytest.approx(1 / 3, abs=0.01)
    # Fully opaque RGBA is read by luminance like any other image.
    opaque = Image.new("RGBA", (300, 300), (0, 0, 0, 255))
    ImageDraw.Draw(opaque).rectangle((200, 0, 299, 299), fill=(255, 255, 255, 255))
    assert normalize_mask(opaque, (300, 300)).getpixel((250, 10)) == 255


def test_encode_decode_round_trip() -> None:
    mask = mask_from_selection(Selection.preset(Grid(4, 4), "oval"), 1024, 1024)
    url = encode_mask(mask)
    assert url.startswith("data:image/png;base64,")
    png = reload(base64.b64decode(url.removeprefix("data:image/png;base64,")))
    assert png.format == "PNG"
    assert png.mode == "L"
    assert "transparency" not in png.info
    assert png.size == (1024, 1024)
    back = decode_mask_data_url(url)
    assert back.tobytes() == mask.tobytes()
    assert decode_mask_data_url(url, (512, 512)).size == (512, 512)
    one_bit = encode_mask(mask.convert("1"))
    assert decode_mask_data_url(one_bit).tobytes() == mask.tobytes()


def test_decode_accepts_a_canvas_export() -> None:
    # The web editor's canvas: RGBA, anti-aliased strokes on transparency.
    canvas = Image.new("RGBA", (640, 360), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).ellipse((100, 50, 400, 300), fill=(255, 255, 255, 255))
    canvas = canvas.filter(ImageFilter.GaussianBlur(1))
    url = "data:image/png;base64," + base64.b64encode(encode(canvas, "PNG")).decode()
    mask = decode_mask_data_url(url, (1456, 819))
    assert mask.size == (1456, 819)
    assert is_binary_opaque_l(mask)


@pytest.mark.fault(30)
@pytest.mark.parametrize(
    "url",
    [
        "",
        "data:image/jpeg;base64,AAAA",
        "data:image/png;base64,***",
        "data:image/png;base64," + base64.b64encode(b"not a png").decode(),
        "http://example.com/mask.png",
    ],
)
def test_decode_refuses_junk(url: str) -> None:
    assert _reason(decode_mask_data_url, url) == "not_an_image"


@pytest.mark.fault(30)
def test_decode_refuses_jpeg_inside_png_url() -> None:
    jpeg = encode(_blob((64, 64), (10, 10, 40, 40)).convert("RGB"), "JPEG")
    url = "data:image/png;base64," + base64.b64encode(jpeg).decode()
    assert _reason(decode_mask_data_url, url) == "not_an_image"


@pytest.mark.fault(30)
def test_decode_refuses_empty_and_full() -> None:
    empty = encode(Image.new("L", (64, 64), 0), "PNG")
    url = "data:image/png;base64," + base64.b64encode(empty).decode()
    assert _reason(decode_mask_data_url, url) == "empty"


@pytest.mark.fault(30)
def test_encode_refuses_what_cannot_be_a_mask() -> None:
    with pytest.raises(ValueError, match="grey"):
        encode_mask(Image.new("L", (10, 10), 128))
    with pytest.raises(ValueError, match="mode"):
        encode_mask(noisy_image(10, 10))
    assert _reason(encode_mask, Image.new("L", (10, 10), 0)) == "empty"
    assert _reason(encode_mask, Image.new("L", (10, 10), 255)) == "full"


@pytest.mark.fault(30)
def test_coverage_thresholds() -> None:
    tiny = Image.new("L", (1000, 1000), 0)
    tiny.paste(255, (0, 0, 20, 20))  # 0.04 %: a stray click, not a region
    assert _reason(normalize_mask, tiny, (1000, 1000)) == "empty"
    assert normalize_mask(tiny, (1000, 1000), min_coverage=0.0001).size == (1000, 1000)
