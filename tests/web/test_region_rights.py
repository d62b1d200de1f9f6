"""Who may finish Vary (Region) from the web: the rights Discord saw when the session was
opened (owner, or a moderator under the guild's click policy), never what the web request
claims."""

from __future__ import annotations

import base64
import io
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bot.db.records import ClickPolicy, JobStatus
from bot.errors import Refused
from bot.messages import say
from tests.jobs.conftest import ALICE, BOB, MOD, is_
from tests.web.conftest import Web


def mask_url() -> str:
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (128, 128, 256, 256))
    buf = io.BytesIO()
    mask.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def post(url: str, body: Any, **kw: Any) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body, **kw) as resp:
        return resp.status, await resp.json()


async def test_a_moderator_finishes_vary_region_on_a_members_job_from_the_web(web: Web) -> None:
    job_id, index = await web.upscaled()  # ALICE's job; the guild keeps the default policy
    assert (await web.stack.db.guilds.get(1)).click_policy == ClickPolicy.OWNER_AND_MODS
    session = await web.region.open(job_id, index, MOD)
    assert session.is_moderator is True
    stored = await web.stack.db.regions.get(session.id)
    assert stored is not None and stored.is_moderator is True  # read back from the file
    link = await web.region.link(session)
    assert link is not None
    status, answer = await post(link, {"mask": mask_url(), "prompt": "a red boat"})
    assert status == 200 and answer["ok"] is True, answer
    child = await web.stack.wait_job(answer["job_id"], is_(JobStatus.SUCCEEDED))
    assert child.parent_id == job_id
    assert (child.user_id, child.guild_id, child.channel_id) == (
        MOD.user_id,
        MOD.guild_id,
        MOD.channel_id,
    )
    assert web.modal_requests() == 1


@pytest.mark.fault(22)
async def test_a_member_who_is_neither_owner_nor_moderator_cannot_open_one(web: Web) -> None:
    job_id, index = await web.upscaled()
    with pytest.raises(Refused) as caught:
        await web.region.open(job_id, index, BOB)
    assert caught.value.key == "button.denied"
    owner = await web.region.open(job_id, index, ALICE)
    assert owner.is_moderator is False


@pytest.mark.fault(22)
async def test_the_moderator_flag_cannot_be_claimed_through_the_web(web: Web) -> None:
    job_id, index = await web.upscaled()
    # While the guild let anyone click, Bob (no moderator) opened the editor ...
    await web.stack.db.guilds.update(1, click_policy=ClickPolicy.ANYONE)
    session = await web.region.open(job_id, index, BOB)
    assert session.is_moderator is False
    link = await web.region.link(session)
    assert link is not None
    # ... then the guild went back to owner and moderators, and Bob says he is one.
    await web.stack.db.guilds.update(1, click_policy=ClickPolicy.OWNER_AND_MODS)
    charged = await web.stack.db.ledger.usage(1, None, since=0)
    body = {"mask": mask_url(), "prompt": "x", "is_moderator": True, "moderator": 1}
    for url in (link, link + "?is_moderator=1&moderator=true"):
        status, answer = await post(url, body, headers={"X-Moderator": "1"})
        assert (status, answer) == (403, {"ok": False, "error": say("button.denied")})
    assert web.modal_requests() == 0
    assert await web.stack.db.ledger.usage(1, None, since=0) == charged
    stored = await web.stack.db.regions.get(session.id)
    assert stored is not None and stored.is_moderator is False and stored.used_at is None
