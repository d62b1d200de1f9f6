"""Results over the attachment limit are re-encoded to fit (faults.md #20)."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from bot.imaging import ImageRejected, fit_to_limit, to_data_url
from tests.imaging.helpers import encode, noisy_image, reload

MIB = 1024 * 1024


def test_small_image_is_returned_untouched() -> None:
    data = encode(noisy_image(64, 64), "PNG")
    out, ext, mime = fit_to_limit(data, MIB)
    assert out is data
    assert (ext, mime) == ("png", "image/png")


def test_extension_follows_the_bytes() -> None:
    data = encode(noisy_image(64, 64), "JPEG")
    assert fit_to_limit(data, MIB)[1:] == ("jpg", "image/jpeg")


@pytest.mark.fault(20)
def test_large_noisy_png_shrinks_under_one_mib() -> None:
    data = encode(noisy_image(1400, 1000, noise=0.7), "PNG", compress_level=1)
    assert len(data) > 3 * MIB
    out, ext, mime = fit_to_limit(data, MIB)
    assert len(out) <= MIB
    img = reload(out)
    assert (img.format.lower() if img.format else "", ext, mime) == ("webp", "webp", "image/webp")
    assert img.width / img.height == pytest.approx(1.4, rel=0.01)


@pytest.mark.fault(20)
def test_prefer_jpeg() -> None:
    data = encode(noisy_image(600, 600, noise=0.2), "PNG")
    out, ext, mime = fit_to_limit(data, len(data) // 3, prefer="jpeg")
    assert (ext, mime, reload(out).format) == ("jpg", "image/jpeg", "JPEG")
    assert len(out) <= len(data) // 3


def test_transparency_survives_webp() -> None:
    img = noisy_image(500, 500).convert("RGBA")
    img.putalpha(128)
    data = encode(img, "PNG")
    out, ext, _ = fit_to_limit(data, len(data) // 2)
    assert ext == "webp"
    assert reload(out).mode == "RGBA"


@pytest.mark.fault(20)
def test_tiny_limit_downscales_instead_of_failing() -> None:
    data = encode(noisy_image(800, 400, noise=0.8), "PNG")
    out, _, _ = fit_to_limit(data, 20_000)
    assert len(out) <= 20_000
    img = reload(out)
    assert img.width < 800
    assert img.width / img.height == pytest.approx(2.0, rel=0.05)


def test_impossible_limit_is_a_typed_error() -> None:
    data = encode(noisy_image(300, 300, noise=0.8), "PNG")
    with pytest.raises(ImageRejected) as info:
        fit_to_limit(data, 40)
    assert info.value.reason_code == "too_large_bytes"


def test_exif_orientation_is_applied_before_dropping_metadata() -> None:
    img = noisy_image(300, 100, noise=0.6)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    data = encode(img, "JPEG", exif=exif, quality=100)
    out, _, _ = fit_to_limit(data, len(data) // 2)
    assert reload(out).size == (100, 300)


def _animation(frames: int, side: int) -> bytes:
    base = Image.linear_gradient("L").resize((side, side))
    images = [
        Image.merge(
            "RGB", (base.rotate(i * 7), base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
        )
        for i in range(frames)
    ]
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=80)


@pytest.mark.fault(20)
def test_animation_stays_animated_when_it_fits() -> None:
    data = _animation(12, 200)
    out, ext, _ = fit_to_limit(data, len(data) // 3)
    img = reload(out)
    assert ext == "webp"
    assert getattr(img, "n_frames", 1) == 12
    assert len(out) <= len(data) // 3


@pytest.mark.fault(20)
def test_animation_falls_back_to_first_frame() -> None:
    data = _animation(12, 200)
    out, _, _ = fit_to_limit(data, 6_000)
    img = reload(out)
    assert getattr(img, "n_frames", 1) == 1
    assert len(out) <= 6_000


def test_hostile_input_is_refused() -> None:
    with pytest.raises(ImageRejected) as info:
        fit_to_limit(b"<html>not found</html>", 10)
    assert info.value.reason_code == "not_an_image"


def test_data_url() -> None:
    data = encode(noisy_image(4, 4), "PNG")
    url = to_data_url(data, "image/png")
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == data
    with pytest.raises(ValueError, match="content type"):
        to_data_url(data, "image/png;charset=x")


def test_result_decodes_with_pillow_defaults() -> None:
    data = encode(noisy_image(900, 900, noise=0.9), "PNG")
    out, _, _ = fit_to_limit(data, 200_000)
    Image.open(io.BytesIO(out)).verify()
