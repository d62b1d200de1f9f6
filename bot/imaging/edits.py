"""/edit images: the uploaded image kept for the editor, and the image sent to
`/mj/submit/edits`, whose area to redraw is marked by transparency (mj-protocol.md §3: the
endpoint has no mask field)."""

from __future__ import annotations

import base64
import io

from PIL import Image

from bot.imaging.masks import check_coverage
from bot.imaging.safe import open_image

#: Longer sides are scaled down to this: as large as Midjourney's own upscales, and it keeps a
#: session row and the data URL a few MB at most.
MAX_SIDE = 2048


def edit_source(data: bytes) -> bytes:
    """The uploaded image, decoded safely (ImageRejected otherwise), opaque RGB, at most
    MAX_SIDE on its longer side, as PNG."""
    image = open_image(data)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Transparent parts would read as "redraw" upstream: flatten them onto white.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=3)
    return buf.getvalue()


def punch_out(image: Image.Image, mask: Image.Image) -> str:
    """`data:image/png;base64,…` of `image` with the mask's white area made fully transparent
    (the area to redraw) and the rest opaque. `mask` is a checked mode "L" 0/255 mask of the
    image's size (bot.imaging.masks); an empty or full one raises MaskRejected."""
    if mask.size != image.size:
        raise ValueError(f"mask {mask.size} does not fit image {image.size}")
    check_coverage(mask, min_coverage=1e-12)
    out = image.convert("RGBA")
    out.putalpha(mask.point(lambda v: 0 if v else 255))
    buf = io.BytesIO()
    out.save(buf, "PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def thumbnail(png: bytes, side: int = 512) -> bytes:
    """A small WebP of a /edit image, to show which image the editor is about."""
    image = open_image(png)
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "WEBP", quality=85)
    return buf.getvalue()
