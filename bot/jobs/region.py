"""Vary (Region): the editing session behind the three ways to mark a region.

Every way (paint in Discord, upload, web canvas) ends in `submit`: a black-and-white mask the
size of the upscaled image, a prompt, then the Inpaint button's action → MODAL → modal with
`maskBase64` (JobService.send_modal). Nothing is charged until `submit` presses the button;
a closed editor costs nothing. Web links are signed, expire, are bound to one session (and so
one user) and work once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from PIL import Image

from bot.cometapi.buttons import ButtonKind
from bot.db.records import JobRecord, RegionSession
from bot.errors import Refused
from bot.imaging import (
    MaskRejected,
    PaintState,
    Selection,
    encode_mask,
    mask_from_selection,
    mask_from_upload,
    normalize_mask,
    open_image,
    paint_grid,
)
from bot.jobs.actions import ActionService, PressInput
from bot.jobs.events import Requester

log = logging.getLogger(__name__)
LIFETIME = 15 * 60.0
MAX_SOURCE = 64 * 1024 * 1024
MAX_UPLOAD = 16 * 1024 * 1024  # a painted copy of a 2048 px upscale is well under this
OnChild = Callable[[JobRecord, RegionSession], Awaitable[None]]
# A link's token: "<session>.<user>.<expires>.<nonce>.<signature>", ids in ASCII digits, nonce
# and signature URL-safe base64. Anything else (non-ASCII, "²", 30 digits, 8 KiB) is forged.
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,160}")
_ID = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63 - 1  # SQLite's INTEGER
HISTORY = 24 * 3600.0  # how long used and expired sessions are kept (see RegionsRepository.prune)


class RegionService:
    def __init__(
        self,
        actions: ActionService,
        secret: bytes,
        *,
        public_base_url: str | None = None,
        clock: Callable[[], float] = time.time,
        cache_size: int = 8,
    ) -> None:
        self.actions = actions
        self.db = actions.db
        self.secret = secret
        self.public_base_url = public_base_url
        self.clock = clock
        self.on_child: OnChild | None = None  # the Discord side posts the child's message
        self._images: OrderedDict[int, Image.Image] = OrderedDict()
        self._cache_size = cache_size

    async def open(self, job_id: int, index: int, req: Requester) -> RegionSession:
        """A new session for the Vary (Region) button; checks rights, charges nothing."""
        job, _, info = await self.actions.button(job_id, index)
        if info.kind != ButtonKind.INPAINT:
            raise Refused("button.expired")
        await self.actions.check_policy(job, req)
        claim = await self.db.claims.get(job_id, index)
        if claim is not None and claim.child_job_id is None:  # a press is being submitted
            raise Refused("button.on_its_way")
        return await self.db.regions.create(
            job_id=job_id,
            button_index=index,
            user_id=req.user_id,
            guild_id=req.guild_id,
            channel_id=req.channel_id,
            prompt=job.final_prompt or job.prompt,
            lifetime=LIFETIME,
            # The web editor has no Discord member to ask, so it acts with the rights the
            # opener had here (a moderator may open Vary (Region) on a member's job).
            is_moderator=req.is_moderator,
        )

    async def session(self, session_id: int, user_id: int) -> tuple[RegionSession, JobRecord]:
        """The live session of this user, or Refused("region.session_gone")."""
        session = await self.db.regions.get(session_id)
        if (
            session is None
            or session.user_id != user_id
            or session.used_at is not None
            or session.expires_at < self.clock()
        ):
            raise Refused("region.session_gone")
        job = await self.db.jobs.get(session.job_id)
        if job is None:
            raise Refused("region.session_gone")
        return session, job

    async def source(self, job: JobRecord) -> Image.Image:
        """The upscaled image the mask refers to (downloaded once, decoded safely)."""
        if job.id in self._images:
            self._images.move_to_end(job.id)
            return self._images[job.id]
        if not job.image_url:
            raise Refused("button.expired")
        client = await self.actions.jobs.clients.client_for(job.meta.get("key_scope"))
        data = await client.download(job.image_url, max_bytes=MAX_SOURCE)
        image = await asyncio.to_thread(lambda: open_image(data).convert("RGB"))
        self._images[job.id] = image
        while len(self._images) > self._cache_size:
            self._images.popitem(last=False)
        return image

    def selection_of(self, session: RegionSession, image: Image.Image) -> Selection:
        """The painted cells on the editor's fine grid for this image (bot/imaging/paint.py),
        empty when nothing readable is stored."""
        grid = paint_grid(*image.size)
        if session.selection:
            try:
                return PaintState.from_str(session.selection, grid).selection
            except ValueError:
                pass
        return PaintState.new(grid).selection

    async def save_selection(
        self, session_id: int, user_id: int, selection: Selection | PaintState
    ) -> None:
        """Store the editor's state (or a bare selection on the fine grid)."""
        await self.session(session_id, user_id)
        await self.db.regions.set_selection(session_id, selection.to_str())

    async def submit_selection(self, session_id: int, req: Requester, prompt: str) -> JobRecord:
        session, job = await self.session(session_id, req.user_id)
        image = await self.source(job)
        selection = self.selection_of(session, image)
        if selection.is_empty:
            raise Refused("region.empty")
        if selection.is_full:
            raise Refused("region.full")
        mask = mask_from_selection(selection, *image.size)
        return await self.submit(session_id, req, mask, prompt)

    async def submit(
        self,
        session_id: int,
        req: Requester,
        mask: Image.Image | bytes,
        prompt: str,
        *,
        nonce: str | None = None,
    ) -> JobRecord:
        """Check the mask, then press the Inpaint button with it: the only paid step."""
        session, job = await self.session(session_id, req.user_id)
        image = await self.source(job)
        try:
            clean = await asyncio.to_thread(normalize_mask, mask, image.size)
            data_url = await asyncio.to_thread(encode_mask, clean)
        except MaskRejected as exc:
            raise Refused(f"mask.{exc.reason_code}") from exc
        if await self.db.regions.use(session_id, nonce=nonce) is None:
            raise Refused("region.session_gone")
        text = " ".join(prompt.split()) or job.final_prompt or job.prompt
        try:
            child = await self.actions.press(
                session.job_id,
                session.button_index,
                req,
                PressInput(prompt=text, mask_data_url=data_url),
            )
        except Refused:
            await self.db.regions.reopen(session_id)
            raise
        await self.db.regions.set_child(session_id, child.id)
        if self.on_child is not None:
            try:
                await self.on_child(child, session)
            except Exception:  # the job runs and is tracked; only its first render failed
                log.exception("region session %s: posting job %s failed", session_id, child.id)
        return child

    # -- an uploaded mask, confirmed before it is submitted -----------------------------

    async def stage_upload(
        self, session_id: int, user_id: int, data: bytes, prompt: str
    ) -> tuple[Image.Image, Image.Image]:
        """Derive the mask of an uploaded file (a mask or a painted copy) and keep it until
        the user confirms; charges nothing. Returns (source, mask). Raises Refused("mask.*"),
        or ImageRejected for a file that is no safe image."""
        _, job = await self.session(session_id, user_id)
        image = await self.source(job)
        try:
            mask, _ = await asyncio.to_thread(mask_from_upload, image, data, max_bytes=MAX_UPLOAD)
        except MaskRejected as exc:
            raise Refused(f"mask.{exc.reason_code}") from exc
        await self.db.regions.stage_mask(session_id, await asyncio.to_thread(_png, mask), prompt)
        return image, mask

    async def submit_staged(self, session_id: int, req: Requester) -> JobRecord:
        session, _ = await self.session(session_id, req.user_id)
        mask = await self.db.regions.staged_mask(session_id)
        if mask is None:
            raise Refused("region.nothing_staged")
        return await self.submit(session_id, req, mask, session.prompt)

    async def unstage(self, session_id: int, user_id: int) -> None:
        session, _ = await self.session(session_id, user_id)
        await self.db.regions.stage_mask(session_id, None, session.prompt)

    # -- signed, expiring, single-use web links ---------------------------------------

    async def link(self, session: RegionSession) -> str | None:
        if not self.public_base_url:
            return None
        nonce = secrets.token_urlsafe(12)
        await self.db.regions.set_nonce(session.id, nonce)
        expires = int(session.expires_at)
        body = f"{session.id}.{session.user_id}.{expires}.{nonce}"
        return f"{self.public_base_url}/region/{body}.{self._sign(body)}"

    async def verify(self, token: str) -> tuple[RegionSession, str]:
        """The session a link names and its nonce; Refused for a forged, expired, reused
        or superseded link."""
        if not _TOKEN.fullmatch(token):
            raise Refused("region.link_bad")
        parts = token.split(".")
        if len(parts) != 5 or not all(parts):
            raise Refused("region.link_bad")
        body, signature = ".".join(parts[:4]), parts[4]
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise Refused("region.link_bad")
        session_id, user_id, expires = (_id(part) for part in parts[:3])
        nonce = parts[3]
        if session_id is None or user_id is None or expires is None:
            raise Refused("region.link_bad")
        if expires < self.clock():
            raise Refused("region.session_gone")
        session, _ = await self.session(session_id, user_id)
        if session.web_nonce != nonce:
            raise Refused("region.session_gone")
        return session, nonce

    # -- housekeeping -------------------------------------------------------------------

    async def prune(self, keep: float = HISTORY) -> int:
        """Delete sessions used or expired more than `keep` seconds ago and drop the staged
        mask of every used or expired one; the number of sessions deleted. For the bot to
        call periodically (hourly is plenty)."""
        now = self.clock()
        removed = await self.db.regions.prune(now - keep, now=now)
        if removed:
            log.info("pruned %d old Vary (Region) sessions", removed)
        return removed

    def _sign(self, body: str) -> str:
        digest = hmac.new(self.secret, body.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _id(text: str) -> int | None:
    """An id in ASCII digits that fits SQLite's INTEGER ("²".isdigit() is True), or None."""
    if not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def _png(mask: Image.Image) -> bytes:
    buf = io.BytesIO()
    mask.save(buf, "PNG", compress_level=3)
    return buf.getvalue()
