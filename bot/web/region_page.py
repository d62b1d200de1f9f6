"""The Vary (Region) web canvas: an editor page on a signed, expiring, single-use link.

Routes (mounted by WebServer when a RegionService is given):
- GET  /region/static/{name}  the editor's script and style (assets/editor, a fixed list)
- GET  /region/{token}        the editor page, or the refusal sentence (403 forged, 410 gone)
- GET  /region/{token}/image  the upscaled image the mask refers to
- POST /region/{token}        JSON {"mask": "data:image/png;base64,…", "prompt": "…"}

Every request re-verifies the token; only the POST spends it (RegionService.submit marks the
session used with the link's nonce), so reloading the page is harmless until then. The page
uses relative URLs only, so it also works behind a proxy that adds a path prefix.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
from collections import OrderedDict
from pathlib import Path
from string import Template

from aiohttp import web
from PIL import Image

from bot.cometapi.errors import CometAPIError
from bot.errors import Refused
from bot.imaging import MaskRejected, decode_mask_data_url
from bot.jobs.events import Requester
from bot.jobs.region import RegionService, image_key
from bot.messages import say
from bot.web.guard import BadBody, json_object, read_capped, storable

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "editor"
STATIC = {"editor.js": "text/javascript", "editor.css": "text/css"}
MAX_SUBMIT = 8 * 1024 * 1024
MAX_PROMPT = 6000
ENCODED_CACHE = 8  # WebP copies kept for page reloads (a few hundred KiB each)

# No inline script or style anywhere, so the policy can forbid both; blob:/data: are for the
# canvas export only. frame-ancestors stops the editor being framed to steal clicks.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The token is in the URL: never leak it in a Referer, never keep it in a cache.
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def status_for(key: str) -> int:
    """The HTTP status of a refusal: forged 403, closed or used 410, bad mask 422, else 409."""
    if key == "region.link_bad" or key == "button.denied":
        return 403
    if key in ("region.session_gone", "edit.session_gone"):
        return 410
    if key.startswith("mask."):
        return 422
    return 409


class RegionPage:
    def __init__(self, region: RegionService, assets: Path = ASSETS) -> None:
        self.region = region
        self.template = Template((assets / "editor.html").read_text(encoding="utf-8"))
        self.static = {name: (assets / name).read_bytes() for name in STATIC}
        # The image is re-encoded for the browser once per job, not once per page load.
        self._encoded: OrderedDict[str, bytes] = OrderedDict()

    def mount(self, app: web.Application) -> None:
        # The static route first: "/region/static/x" must never be read as a token.
        app.router.add_get("/region/static/{name}", self._static)
        app.router.add_get("/region/{token}", self._page)
        app.router.add_get("/region/{token}/image", self._image)
        app.router.add_post("/region/{token}", self._submit)

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.static:
            raise web.HTTPNotFound(headers=HEADERS)
        headers = {**HEADERS, "Cache-Control": "no-cache"}
        return web.Response(body=self.static[name], content_type=STATIC[name], headers=headers)

    async def _page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            session, _ = await self.region.verify(token)
            image = await self.region.source(session)
        except Exception as exc:
            key, status, fields = _failure(exc)
            return _refusal_page(say(key, **fields), status)
        page = self.template.substitute(
            title=say("edit.modal_title" if session.is_edit else "region.modal_title"),
            token=html.escape(token),
            width=image.width,
            height=image.height,
            prompt=html.escape(session.prompt),
        )
        return web.Response(text=page, content_type="text/html", headers=HEADERS)

    async def _image(self, request: web.Request) -> web.Response:
        try:
            session, _ = await self.region.verify(request.match_info["token"])
            body = await self._encode(image_key(session), await self.region.source(session))
        except Exception as exc:
            return _error(*_failure(exc))
        return web.Response(body=body, content_type="image/webp", headers=HEADERS)

    async def _submit(self, request: web.Request) -> web.Response:
        # application/json cannot be sent cross-site without a preflight we never answer.
        if request.content_type != "application/json":
            return _error("internal", 415)
        try:
            # The link first: a stranger gets nothing read or decoded.
            session, nonce = await self.region.verify(request.match_info["token"])
            raw = await read_capped(request, MAX_SUBMIT)
            if raw is None:
                return _error("mask.not_an_image", 413)
            body = _parse(raw)
            if body is None:
                return _error("internal", 400)
            mask = await asyncio.to_thread(decode_mask_data_url, body[0])
            # Who may press is what Discord said when the session was opened: nothing in the
            # web request (body, query, headers) can claim more.
            req = Requester(
                user_id=session.user_id,
                channel_id=session.channel_id,
                guild_id=session.guild_id,
                is_moderator=session.is_moderator,
            )
            child = await self.region.submit(session.id, req, mask, body[1], nonce=nonce)
        except BadBody:
            return _error("internal", 400)
        except Exception as exc:
            return _error(*_failure(exc))
        log.info("region session %d submitted from the web: job %d", session.id, child.id)
        return web.json_response(
            {"ok": True, "job_id": child.id, "message": say("region.web_done")},
            headers=HEADERS,
        )

    async def _encode(self, key: str, image: Image.Image) -> bytes:
        if key in self._encoded:
            self._encoded.move_to_end(key)
            return self._encoded[key]

        def webp() -> bytes:
            buf = io.BytesIO()
            # Display only (the mask is built at the size sent in the page), so lossy is fine.
            image.save(buf, "WEBP", quality=90, method=2)
            return buf.getvalue()

        data = await asyncio.to_thread(webp)
        self._encoded[key] = data
        while len(self._encoded) > ENCODED_CACHE:
            self._encoded.popitem(last=False)
        return data


def _failure(exc: Exception) -> tuple[str, int, dict[str, object]]:
    """The sentence key, HTTP status and sentence fields for what went wrong."""
    if isinstance(exc, Refused):
        return exc.key, status_for(exc.key), dict(exc.fields)
    if isinstance(exc, MaskRejected):
        return f"mask.{exc.reason_code}", 422, {}
    if isinstance(exc, CometAPIError):  # the image could not be fetched from CometAPI's CDN
        log.warning("region editor: %r", exc)
        return "upstream.unreachable", 502, {}
    log.error("region editor failed", exc_info=exc)
    return "internal", 500, {}


def _refusal_page(text: str, status: int) -> web.Response:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Vary (Region)</title><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="static/editor.css"></head>'
        f'<body><main class="refused"><p id="status" class="error">{html.escape(text)}</p>'
        "</main></body></html>"
    )
    return web.Response(text=page, content_type="text/html", status=status, headers=HEADERS)


def _error(key: str, status: int, fields: dict[str, object] | None = None) -> web.Response:
    body = {"ok": False, "error": say(key, **(fields or {}))}
    return web.json_response(body, status=status, headers=HEADERS)


def _parse(raw: bytes) -> tuple[str, str] | None:
    body = json_object(raw)
    if body is None:
        return None
    mask, prompt = body.get("mask"), body.get("prompt", "")
    if not isinstance(mask, str) or not isinstance(prompt, str) or len(prompt) > MAX_PROMPT:
        return None
    if not storable(mask) or not storable(prompt):  # a lone surrogate could not be stored
        return None
    return mask, prompt
