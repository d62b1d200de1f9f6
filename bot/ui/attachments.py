"""Images users attach to commands: read at once, decoded safely, turned into data URLs."""

from __future__ import annotations

import asyncio

import discord

from bot.errors import Refused
from bot.imaging.errors import ImageRejected
from bot.imaging.fit import to_data_url
from bot.imaging.safe import open_image, sniff_format
from bot.messages import say

MAX_IMAGE_BYTES = 10 * 1024 * 1024


async def image_bytes(attachment: discord.Attachment, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The attachment's bytes, checked to be a safe image, or Refused with the reason."""
    if attachment.size > max_bytes:
        why = say("image.too_large_bytes")
        raise Refused("image.rejected", name=attachment.filename, why=why)
    try:
        data = await attachment.read()  # attachment URLs expire: read now
    except discord.HTTPException as exc:
        raise Refused("region.read_failed") from exc
    try:
        await asyncio.to_thread(open_image, data)
    except ImageRejected as exc:
        why = say(f"image.{exc.reason_code}")
        raise Refused("image.rejected", name=attachment.filename, why=why) from exc
    return data


async def image_data_url(attachment: discord.Attachment, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The attachment as a data URL, or Refused with the reason; nothing is charged yet."""
    data = await image_bytes(attachment, max_bytes)
    return to_data_url(data, f"image/{sniff_format(data) or 'png'}")
