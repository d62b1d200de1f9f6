"""Files: uploads from the bot or a scripted user, stored and served by the fake CDN.

URLs carry Discord's ``ex``/``is``/``hm`` query; the CDN refuses a link whose ``ex`` passed on
the fake clock (attachment links expire: read them at once).
"""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

CDN_TTL = 24 * 3600.0


@dataclass
class Upload:
    """One file part of a multipart request (or a file a user attaches)."""

    index: int
    filename: str
    data: bytes
    content_type: str


def guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def as_upload(index: int, item: Any) -> Upload:
    """A path, bytes, or (filename, bytes) as an :class:`Upload` (used by the scripted users)."""
    if isinstance(item, Upload):
        return item
    if isinstance(item, tuple):
        name, data = item
        return Upload(index, name, bytes(data), guess_type(name))
    if isinstance(item, (bytes, bytearray)):
        data = bytes(item)
        name = "image.png" if data.startswith(b"\x89PNG") else "file.bin"
        if data.startswith(b"\xff\xd8"):
            name = "image.jpg"
        return Upload(index, name, data, guess_type(name))
    path = Path(item)
    return Upload(index, path.name, path.read_bytes(), guess_type(path.name))


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:
        return None


@dataclass(eq=False)
class StoredAttachment:
    id: int
    filename: str
    data: bytes
    content_type: str
    path: str  # e.g. "attachments/<channel>/<id>" or "ephemeral-attachments/<app>/<id>"
    description: str | None = None
    ephemeral: bool = False
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)


class AttachmentStore:
    """Every file the fake holds; the CDN route serves them by id."""

    def __init__(self, base_url: Callable[[], str], now: Callable[[], float], ids: Any) -> None:
        self._base_url = base_url
        self._now = now
        self._ids = ids
        self.by_id: dict[int, StoredAttachment] = {}

    def put(
        self,
        upload: Upload,
        *,
        folder: str,
        ephemeral: bool = False,
        description: str | None = None,
    ) -> StoredAttachment:
        attachment_id = self._ids.next()
        size = _image_size(upload.data) if upload.content_type.startswith("image/") else None
        stored = StoredAttachment(
            id=attachment_id,
            filename=upload.filename,
            data=upload.data,
            content_type=upload.content_type,
            path=f"{folder}/{attachment_id}",
            description=description,
            ephemeral=ephemeral,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )
        self.by_id[attachment_id] = stored
        return stored

    def url(self, attachment: StoredAttachment, *, proxy: bool = False) -> str:
        issued = int(self._now())
        expires = issued + int(CDN_TTL)
        query = f"ex={expires:x}&is={issued:x}&hm={attachment.id:x}"
        host = f"{self._base_url()}/media" if proxy else self._base_url()
        return f"{host}/{attachment.path}/{quote(attachment.filename)}?{query}&"

    def to_json(self, attachment: StoredAttachment) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(attachment.id),
            "filename": attachment.filename,
            "size": attachment.size,
            "url": self.url(attachment),
            "proxy_url": self.url(attachment, proxy=True),
            "content_type": attachment.content_type,
        }
        if attachment.width is not None:
            data.update(width=attachment.width, height=attachment.height)
        if attachment.description:
            data["description"] = attachment.description
        if attachment.ephemeral:
            data["ephemeral"] = True
        return data
