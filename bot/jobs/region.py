"""Vary (Region) and /edit: the editing session behind the three ways to mark a region.

Every way (paint in Discord, upload, web canvas) ends in `submit`: a black-and-white mask the
size of the image and a prompt. For Vary (Region) the Inpaint button's action → MODAL → modal
with `maskBase64` (JobService.send_modal); for /edit (a session on an uploaded image, no job)
a new `/mj/submit/edits` job with the marked area made transparent. Nothing is charged until
`submit`; a closed editor costs nothing. Web links are signed, expire, are bound to one
session (and so one user) and work once.
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
from functools import partial

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
from bot.imaging.edits import edit_source, punch_out
from bot.jobs import submits
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
        self._images: OrderedDict[str, Image.Image] = OrderedDict()
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

    async def open_edit(
        self, req: Requester, data: bytes, *, prompt: str, mode: str, private: bool
    ) -> RegionSession:
        """A /edit session on an uploaded image (decoded safely: ImageRejected otherwise);
        charges nothing. The job is started by `submit`, with every check of a new job."""
        png = await asyncio.to_thread(edit_source, data)
        return await self.db.regions.create_edit(
            source_png=png,
            user_id=req.user_id,
            guild_id=req.guild_id,
            channel_id=req.channel_id,
            prompt=prompt,
            mode=mode,
            private=private,
            lifetime=LIFETIME,
            is_moderator=req.is_moderator,
        )

    async def session(
        self, session_id: int, user_id: int
    ) -> tuple[RegionSession, JobRecord | None]:
        """The live session of this user and its job (None for /edit), or
        Refused(gone_key(session))."""
        session = await self.db.regions.get(session_id)
        if (
            session is None
            or session.user_id != user_id
            or session.used_at is not None
            or session.expires_at < self.clock()
        ):
            raise Refused(gone_key(session))
        if session.job_id is None:
            return session, None
        job = await self.db.jobs.get(session.job_id)
        if job is None:
            raise Refused("region.session_gone")
        return session, job

    async def source(self, session: RegionSession) -> Image.Image:
        """The image the mask refers to: the upscale (downloaded once, decoded safely), or the
        image uploaded with /edit."""
        key = image_key(session)
        if key in self._images:
            self._images.move_to_end(key)
            return self._images[key]
        if session.job_id is None:
            data = await self.db.regions.source(session.id)
            if data is None:  # the session closed meanwhile
                raise Refused("edit.session_gone")
        else:
            job = await self.db.jobs.get(session.job_id)
            if job is None or not job.image_url:
                raise Refused("button.expired")
            client = await self.actions.jobs.clients.client_for(job.meta.get("key_scope"))
            data = await client.download(job.image_url, max_bytes=MAX_SOURCE)
        image = await asyncio.to_thread(lambda: open_image(data).convert("RGB"))
        self._images[key] = image
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
        session, _ = await self.session(session_id, req.user_id)
        image = await self.source(session)
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
        """Check the mask, then press the Inpaint button with it (or, for /edit, start the
        edits job with the area made transparent): the only paid step."""
        session, job = await self.session(session_id, req.user_id)
        image = await self.source(session)
        try:
            clean = await asyncio.to_thread(normalize_mask, mask, image.size)
            encode = encode_mask if job is not None else partial(punch_out, image)
            data_url = await asyncio.to_thread(encode, clean)
        except MaskRejected as exc:
            raise Refused(f"mask.{exc.reason_code}") from exc
        if await self.db.regions.use(session_id, nonce=nonce) is None:
            raise Refused(gone_key(session))
        text = " ".join(prompt.split()) or default_prompt(session, job)
        try:
            if job is None:
                child = await self._start_edit(session, req, text, data_url)
            else:
                assert session.button_index is not None  # a Vary (Region) session has both
                child = await self.actions.press(
                    job.id,
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

    async def _start_edit(
        self, session: RegionSession, req: Requester, prompt: str, image: str
    ) -> JobRecord:
        if not prompt:
            raise Refused("edit.no_prompt")
        jobs = self.actions.jobs
        return await jobs.start(
            req,
            "edits",
            lambda job: submits.edits(job.prompt, image, job.mode, jobs.config),
            prompt=prompt,
            mode=session.mode,
            private=session.private,
        )

    # -- an uploaded mask, confirmed before it is submitted -----------------------------

    async def stage_upload(
        self, session_id: int, user_id: int, data: bytes, prompt: str
    ) -> tuple[Image.Image, Image.Image]:
        """Derive the mask of an uploaded file (a mask or a painted copy) and keep it until
        the user confirms; charges nothing. Returns (source, mask). Raises Refused("mask.*"),
        or ImageRejected for a file that is no safe image."""
        session, _ = await self.session(session_id, user_id)
        image = await self.source(session)
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
            raise Refused(gone_key(session))
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


def image_key(session: RegionSession) -> str:
    """What the session's image is cached under (previews too): its job, or the session."""
    return f"job:{session.job_id}" if session.job_id is not None else f"edit:{session.id}"


def default_prompt(session: RegionSession, job: JobRecord | None) -> str:
    """The prompt an editor opens with: the last one typed, else the image's."""
    if session.prompt or job is None:
        return session.prompt
    return job.final_prompt or job.prompt


def gone_key(session: RegionSession | None) -> str:
    """The sentence for a closed session: which button to press again depends on the way in."""
    return "edit.session_gone" if session is not None and session.is_edit else "region.session_gone"


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
