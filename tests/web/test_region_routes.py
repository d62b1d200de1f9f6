"""The web canvas's HTTP routes over real loopback: links checked on every request, masks
checked before anything is charged, one submit per link."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bot.db.records import JobStatus
from bot.messages import say
from bot.web.region_page import ENCODED_CACHE, MAX_SUBMIT
from tests.jobs.conftest import ALICE, BOB, is_
from tests.web.conftest import Web


def png_url(img: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def box_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    return mask


async def post(link: str, body: Any, **kw: Any) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(link, json=body, **kw) as resp:
        return resp.status, await resp.json()


async def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.read(), dict(resp.headers)


async def test_the_page_embeds_size_and_prompt_and_locks_itself_down(web: Web) -> None:
    session, link = await web.open("a harbour <b>&</b> --v 7")
    status, body, headers = await get(link)
    assert status == 200
    page = body.decode()
    source = await web.region.source(session)
    assert f'data-width="{source.width}" data-height="{source.height}"' in page
    assert "<b>" not in page and "&lt;b&gt;&amp;&lt;/b&gt;" in page  # the prompt, escaped
    assert "<script>" not in page and "style=" not in page  # nothing inline: the CSP holds
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    for name, kind in [("editor.js", "text/javascript"), ("editor.css", "text/css")]:
        status, data, headers = await get(f"{web.base_url}/region/static/{name}")
        assert status == 200 and data and headers["Content-Type"].startswith(kind)
    for name in ("editor.html", "..%2Fserver.py", "nope.js"):
        assert (await get(f"{web.base_url}/region/static/{name}"))[0] == 404
    status, data, headers = await get(link + "/image")
    assert status == 200 and headers["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(data)).size == source.size


async def test_a_good_submit_starts_the_child_and_the_link_is_spent(web: Web) -> None:
    session, link = await web.open()
    size = (await web.region.source(session)).size
    w, h = size
    mask = box_mask(size, (w // 4, h // 4, w // 2, h // 2))
    status, answer = await post(link, {"mask": png_url(mask), "prompt": "  a red   lighthouse "})
    assert status == 200 and answer["ok"] is True, answer
    child = await web.stack.wait_job(answer["job_id"], is_(JobStatus.SUCCEEDED))
    assert child.parent_id == session.job_id
    assert [(c.id, s.id) for c, s in web.children] == [(child.id, session.id)]
    (_, received) = web.stack.sim.received_masks[-1]
    assert received.size == size
    assert received.getpixel((w * 3 // 8, h * 3 // 8)) == 255
    assert received.getpixel((w * 3 // 4, h * 3 // 4)) == 0
    modal = [r for r in web.stack.sim.requests if r.path.endswith("/submit/modal")][-1]
    assert modal.json["prompt"] == "a red lighthouse"
    # Reused: the page, the image and a second submit all say the editor has closed.
    status, body, _ = await get(link)
    assert status == 410 and say("region.session_gone") in body.decode()
    assert (await get(link + "/image"))[0] == 410
    status, answer = await post(link, {"mask": png_url(mask), "prompt": "again"})
    assert (status, answer) == (410, {"ok": False, "error": say("region.session_gone")})
    assert web.modal_requests() == 1


@pytest.mark.fault(21)
async def test_two_submits_at_once_make_one_job(web: Web) -> None:
    _, link = await web.open()
    body = {"mask": png_url(box_mask((512, 512), (0, 0, 200, 200))), "prompt": "twice"}
    results = await asyncio.gather(post(link, body), post(link, body))
    assert sorted(status for status, _ in results) == [200, 410]
    assert len(web.children) == 1


async def test_forged_and_foreign_links_are_refused(web: Web) -> None:
    _, link = await web.open()
    base, token = link.rsplit("/", 1)
    sid, uid, expires, nonce, signature = token.split(".")
    signed = f"{sid}.{BOB.user_id}.{expires}.{nonce}"  # validly signed, but not Bob's session
    bad = {
        "forged": f"{base}/{sid}.{uid}.{expires}.{nonce}.{signature[::-1]}",
        "other session": f"{base}/{int(sid) + 1}.{uid}.{expires}.{nonce}.{signature}",
        "other user": f"{base}/{signed}.{web.region._sign(signed)}",
        "garbage": f"{base}/hello",
    }
    mask = png_url(box_mask((512, 512), (0, 0, 100, 100)))
    for what, url in bad.items():
        expected = 410 if what == "other user" else 403
        key = "region.session_gone" if what == "other user" else "region.link_bad"
        status, page, headers = await get(url)
        assert status == expected, what
        assert say(key) in page.decode() and headers["Referrer-Policy"] == "no-referrer"
        assert (await get(url + "/image"))[0] == expected, what
        assert await post(url, {"mask": mask, "prompt": "x"}) == (
            expected,
            {"ok": False, "error": say(key)},
        ), what
    assert web.modal_requests() == 0
    assert (await get(link))[0] == 200  # the real link still works


async def test_expired_and_superseded_links_are_refused(web: Web) -> None:
    session, old = await web.open()
    new = await web.region.link(session)  # e.g. the button pressed again
    assert new is not None
    status, page, _ = await get(old)
    assert status == 410 and say("region.session_gone") in page.decode()
    assert (await get(new))[0] == 200
    web.region.clock = lambda: session.expires_at + 1
    mask = png_url(box_mask((512, 512), (0, 0, 100, 100)))
    for url in (old, new):
        assert (await get(url))[0] == 410
        assert (await post(url, {"mask": mask, "prompt": "x"}))[0] == 410
    assert web.modal_requests() == 0


@pytest.mark.fault(30)
@pytest.mark.parametrize(
    ("mask", "key"),
    [
        (png_url(Image.new("L", (512, 512), 0)), "mask.empty"),
        (png_url(Image.new("L", (512, 512), 255)), "mask.full"),
        (png_url(box_mask((512, 256), (0, 0, 100, 100))), "mask.wrong_aspect"),
        (png_url(box_mask((512, 512), (0, 0, 99, 99)), "JPEG"), "mask.not_an_image"),
        ("data:image/png;base64,bm90IGFuIGltYWdl", "mask.not_an_image"),
        ("data:image/png;base64,@@@", "mask.not_an_image"),
        ("https://example.com/mask.png", "mask.not_an_image"),
    ],
)
async def test_bad_masks_get_the_sentence_and_cost_nothing(web: Web, mask: str, key: str) -> None:
    _, link = await web.open()
    charged = await web.stack.db.ledger.usage(1, ALICE.user_id, since=0)
    status, answer = await post(link, {"mask": mask, "prompt": "x"})
    assert (status, answer) == (422, {"ok": False, "error": say(key)})
    assert await web.stack.db.ledger.usage(1, ALICE.user_id, since=0) == charged
    assert web.modal_requests() == 0
    # The session is not spent: a good mask still goes through (a half-size one is rescaled).
    good = png_url(box_mask((256, 256), (0, 0, 100, 100)))
    assert (await post(link, {"mask": good, "prompt": "x"}))[0] == 200
    assert web.stack.sim.received_masks[-1][1].size == (512, 512)


async def test_malformed_requests_are_refused_unread(web: Web) -> None:
    _, link = await web.open()
    async with aiohttp.ClientSession() as http:
        async with http.post(link, data=b'{"mask": "x"}') as resp:  # not application/json
            assert resp.status == 415
        for body in (b"[1]", b"{not json", b'{"mask": 3}', b'{"mask": "x", "prompt": 4}'):
            headers = {"Content-Type": "application/json"}
            async with http.post(link, data=body, headers=headers) as resp:
                assert resp.status == 400, body
        huge = b'{"mask": "' + b"A" * MAX_SUBMIT + b'"}'
        async with http.post(link, data=huge, headers=headers) as resp:
            assert resp.status == 413
            assert (await resp.json())["error"] == say("mask.not_an_image")
    assert web.modal_requests() == 0
    assert (await get(link))[0] == 200


async def test_the_encoded_image_cache_stays_bounded(web: Web) -> None:
    page = web.server.region_page
    assert page is not None
    first = await page._encode(1, Image.new("RGB", (64, 64), "red"))
    for job_id in range(2, 3 * ENCODED_CACHE + 2):  # as many jobs' images as three caches
        await page._encode(job_id, Image.new("RGB", (64, 64), "blue"))
    assert list(page._encoded) == list(range(2 * ENCODED_CACHE + 2, 3 * ENCODED_CACHE + 2))
    assert await page._encode(1, Image.new("RGB", (64, 64), "green")) != first  # re-encoded


async def test_an_edit_session_opens_the_same_editor_on_the_uploaded_image(web: Web) -> None:
    photo = Image.new("RGB", (320, 200), (30, 120, 60))
    buf = io.BytesIO()
    photo.save(buf, "PNG")
    session = await web.region.open_edit(
        ALICE, buf.getvalue(), prompt="a <red> door", mode="fast", private=False
    )
    link = await web.region.link(session)
    assert link is not None
    status, body, _ = await get(link)
    page = body.decode()
    assert status == 200 and "<title>Edit your image</title>" in page
    assert 'data-width="320" data-height="200"' in page and "a &lt;red&gt; door" in page
    status, data, _ = await get(link + "/image")
    assert status == 200 and Image.open(io.BytesIO(data)).size == (320, 200)
    mask = box_mask((320, 200), (0, 0, 160, 200))
    status, answer = await post(link, {"mask": png_url(mask), "prompt": "a blue door"})
    assert status == 200 and answer["ok"] is True, answer
    job = await web.stack.wait_job(answer["job_id"], is_(JobStatus.SUCCEEDED))
    assert job.kind == "edits" and job.prompt == "a blue door"
    (sent,) = [r.json for r in web.stack.sim.requests if r.route == "/mj/submit/edits"]
    upstream = Image.open(io.BytesIO(base64.b64decode(sent["image"].partition(",")[2])))
    assert upstream.getchannel("A").getpixel((10, 10)) == 0
    assert upstream.getchannel("A").getpixel((300, 10)) == 255
    status, again = await post(link, {"mask": png_url(mask), "prompt": "twice"})
    assert status == 410 and again["error"] == say("edit.session_gone")
