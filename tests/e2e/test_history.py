"""/history through Discord: the member's own jobs here as a paged contact sheet, a select
that re-posts a job with working buttons, and a kind filter."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image

from bot.app import MJBot
from bot.cometapi import errors as api
from bot.db import Database
from bot.db.records import JobRecord, JobStatus
from bot.imaging.contact import HATCH, TILE_BACKGROUND, sheet_size, tile_box
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from cogs.history import FETCHES_AT_ONCE, History
from tests.e2e.conftest import final, job_id_of, replies_to

UNREACHABLE = "http://10.0.0.1/result.png"  # refused before any connection: a private address


@pytest.fixture
async def history_bot(bot: MJBot) -> MJBot:
    """The bot with /history (until the lead adds cogs.history to COGS)."""
    if "cogs.history" not in bot.extensions:
        await bot.load_extension("cogs.history")
        await bot.tree.sync()
    return bot


def guild_of(fake: FakeDiscord) -> int:
    assert fake.guild is not None
    return fake.guild.id


async def real_job(bot: MJBot, user: Any, prompt: str, **options: Any) -> JobRecord:
    message = await (await user.slash("imagine", prompt=prompt, **options)).wait_for_message(
        final, timeout=20
    )
    job = await bot.db.jobs.get(job_id_of(message))
    assert job is not None and job.image_url
    return job


async def add_job(
    bot: MJBot,
    user: Any,
    guild_id: int | None,
    *,
    status: JobStatus = JobStatus.SUCCEEDED,
    image_url: str | None = None,
    progress: int = 0,
    **fields: Any,
) -> JobRecord:
    """A job written straight to the database. A pending one gets a task id and no poll due
    for an hour, so the tracker leaves it as it is."""
    fields.setdefault("kind", "imagine")
    fields.setdefault("prompt", "a stored job")
    if status.is_pending:
        fields.update(task_id=f"held-{user.id}-{fields['prompt']}", next_poll_at=time.time() + 3600)
    job = await bot.db.jobs.create(
        guild_id=guild_id, channel_id=1, user_id=user.id, status=status, **fields
    )
    return await bot.db.jobs.update(job.id, image_url=image_url, progress=progress)


def select_of(message: Any) -> dict[str, Any]:
    return next(c for c in message.iter_components() if c.get("type") == 3)


def shown_ids(message: Any) -> list[int]:
    return [int(o["value"]) for o in select_of(message)["options"]]


def button(message: Any, label: str) -> dict[str, Any]:
    return next(b for b in message.buttons if b.get("label") == label)


def sheet_of(message: Any) -> Image.Image:
    (attachment,) = message.attachments
    image = Image.open(io.BytesIO(attachment.data))
    assert image.format == "PNG"
    return image.convert("RGB")


def placeholder(sheet: Image.Image, index: int) -> bool:
    """Only hatching in the lower part of the tile: no picture there."""
    box = tile_box(index)
    region = sheet.crop((box.left + 12, box.bottom - 50, box.right - 12, box.bottom - 12))
    return all(
        any(
            all(abs(a - b) <= 3 for a, b in zip(c, ref, strict=True))
            for ref in (TILE_BACKGROUND, HATCH)
        )
        for _, c in region.getcolors(maxcolors=1 << 20) or []
    )


async def gallery(user: Any, **options: Any) -> Any:
    result = await user.slash("history", **options)
    assert result.ephemeral
    return result, await result.wait_for_message(lambda m: not m.loading)


async def test_a_paged_gallery_of_only_my_jobs_here(
    history_bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    bot, guild = history_bot, guild_of(fake_discord)
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    boat = await real_job(bot, alice, "a paper boat at sunrise")
    fox = await real_job(bot, alice, "a red fox in the snow")
    art = {"image_url": boat.image_url}
    mine = [
        boat,
        fox,
        await add_job(bot, alice, guild, **art, kind="action", meta={"label": "U2"}, prompt="boat"),
        await add_job(
            bot,
            alice,
            guild,
            kind="action",
            meta={"label": "Vary (Strong)"},
            image_url=fox.image_url,
            prompt="a red fox in the snow",
        ),
        await add_job(bot, alice, guild, image_url=UNREACHABLE, prompt="a lost link"),
        await add_job(bot, alice, guild, status=JobStatus.FAILED, prompt="a castle"),
        await add_job(bot, alice, guild, **art, prompt="a paper boat, again"),
        await add_job(bot, alice, guild, image_url=f"{sim.base_url}/nope.png", prompt="gone"),
        await add_job(bot, alice, guild, status=JobStatus.RUNNING, progress=40, prompt="a dog"),
        await add_job(bot, alice, guild, image_url=fox.image_url, kind="describe", prompt=""),
        await add_job(bot, alice, guild, **art, prompt="one more boat"),
    ]
    no_picture = {mine[i].id for i in (4, 5, 7, 8)}
    others = [
        await add_job(bot, bob, guild, image_url=boat.image_url, prompt="bob's"),
        await add_job(bot, alice, None, image_url=boat.image_url, prompt="in a DM"),
        await add_job(bot, alice, guild + 1, image_url=boat.image_url, prompt="elsewhere"),
    ]
    newest_first = [j.id for j in reversed(mine)]

    _, message = await gallery(alice)
    assert message.ephemeral
    assert shown_ids(message) == newest_first[:9]
    assert not {j.id for j in others} & set(shown_ids(message))
    assert button(message, "Previous").get("disabled") and not button(message, "Next").get(
        "disabled"
    )
    assert "Page 1 of 2 · 11 jobs" in message.text
    assert all(cid.startswith("mjx:") for cid in message.custom_ids)
    sheet = sheet_of(message)
    assert sheet.size == sheet_size(9)
    if os.environ.get("SAVE_HISTORY_SHEET"):
        sheet.save(os.environ["SAVE_HISTORY_SHEET"])
    # Tiles in the select's order: running, failed and unreachable jobs are placeholders.
    assert [placeholder(sheet, i) for i in range(9)] == [i in no_picture for i in newest_first[:9]]

    await alice.click(message, "Next")
    await fake_discord.wait_until(lambda: len(shown_ids(message)) == 2, what="page 2")
    assert shown_ids(message) == newest_first[9:]
    assert "Page 2 of 2" in message.text
    assert sheet_of(message).size == sheet_size(2)
    assert not button(message, "Previous").get("disabled") and button(message, "Next").get(
        "disabled"
    )
    assert [placeholder(sheet_of(message), i) for i in range(2)] == [False, False]  # fox, boat

    await alice.click(message, "Previous")
    await fake_discord.wait_until(lambda: len(shown_ids(message)) == 9, what="page 1 again")
    assert shown_ids(message) == newest_first[:9]

    _, in_dm = await gallery(alice, channel="dm")  # DMs: only the jobs made in DMs
    assert shown_ids(in_dm) == [others[1].id]


async def test_picking_a_number_posts_the_job_again_with_working_buttons(
    history_bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    bot = history_bot
    alice = fake_discord.user("alice")
    public = await real_job(bot, alice, "a lighthouse")
    private = await real_job(bot, alice, "a secret garden", private=True)
    _, message = await gallery(alice)
    assert shown_ids(message) == [private.id, public.id]

    opened = await alice.select(message, select_of(message)["custom_id"], [str(public.id)])
    posted = await opened.wait_for_message(final)
    assert not posted.ephemeral and job_id_of(posted) == public.id
    assert (await bot.db.jobs.get(public.id)).message_id == posted.id  # type: ignore[union-attr]
    click = await alice.click(posted, "U1")  # the buttons work
    assert click.deferred
    await fake_discord.wait_for_message(lambda m: replies_to(m, posted) and final(m))

    opened = await alice.select(message, select_of(message)["custom_id"], [str(private.id)])
    posted = await opened.wait_for_message(final)
    assert posted.ephemeral and job_id_of(posted) == private.id


async def test_at_timeout_the_gallery_loses_its_controls_and_the_opened_job_keeps_its_own(
    history_bot: MJBot, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    # load_extension runs the module afresh: patch the copy the bot uses.
    monkeypatch.setattr(sys.modules["cogs.history"], "VIEW_TIMEOUT", 0.5)
    alice = fake_discord.user("alice")
    job = await real_job(history_bot, alice, "a windmill")
    _, message = await gallery(alice)
    opened = await alice.select(message, select_of(message)["custom_id"], [str(job.id)])
    posted = await opened.wait_for_message(final)
    await fake_discord.wait_until(lambda: not message.components, what="controls removed")
    assert message.attachments  # the sheet stays
    assert posted.buttons and not posted.deleted


async def test_only_the_member_who_ran_it_may_page_or_open(
    history_bot: MJBot, fake_discord: FakeDiscord
) -> None:
    bot, guild = history_bot, guild_of(fake_discord)
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    for n in range(10):
        await add_job(bot, alice, guild, status=JobStatus.FAILED, prompt=f"alice {n}")
    bobs = await add_job(bot, bob, guild, status=JobStatus.FAILED, prompt="bob's own")
    _, message = await gallery(alice)
    first_page = shown_ids(message)
    # Discord shows an ephemeral message to its member only (the stand-in's bob.click would
    # refuse to press it): a forged press, sent below the client, is refused by the bot too.
    for data in (
        {"custom_id": button(message, "Next")["custom_id"], "component_type": 2},
        {
            "custom_id": select_of(message)["custom_id"],
            "component_type": 3,
            "values": [str(first_page[0])],
        },
    ):
        forged = await bob._component(message, data, True)
        said = await forged.wait(lambda r: next((m for m in r.messages if m.text), None))
        assert said.ephemeral and "belongs to the member who opened it" in said.text
    assert shown_ids(message) == first_page
    assert (await bot.db.jobs.get(first_page[0])).message_id is None  # type: ignore[union-attr]
    _, own = await gallery(bob)
    assert shown_ids(own) == [bobs.id]


async def test_kind_filter_and_action_labels(history_bot: MJBot, fake_discord: FakeDiscord) -> None:
    bot, guild = history_bot, guild_of(fake_discord)
    alice = fake_discord.user("alice")
    await add_job(bot, alice, guild, status=JobStatus.FAILED, prompt="an imagine")
    upscale = await add_job(
        bot, alice, guild, kind="action", action="upsample", meta={"label": "U2"}, prompt="a fox"
    )
    described = await add_job(bot, alice, guild, kind="describe", prompt="")

    _, message = await gallery(alice, kind="action")
    assert shown_ids(message) == [upscale.id]
    assert select_of(message)["options"][0]["label"] == "1 · U2 · a fox"
    assert "Your jobs · Upscale / variation" in message.text
    _, message = await gallery(alice, kind="describe")
    assert shown_ids(message) == [described.id]
    _, message = await gallery(alice, kind="blend")
    assert message.ephemeral and not message.attachments
    assert "no Blend jobs" in message.text


async def test_an_empty_history_says_so(history_bot: MJBot, fake_discord: FakeDiscord) -> None:
    _, message = await gallery(fake_discord.user("alice"))
    assert not message.attachments and "no jobs here yet" in message.text


# -- thumbnails, without Discord ------------------------------------------------------------


class CountingClient:
    """Downloads that count how many run at once; some fail, one is not an image."""

    def __init__(self, picture: bytes) -> None:
        self.picture, self.running, self.peak, self.calls = picture, 0, 0, 0

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        import asyncio

        self.calls += 1
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            for _ in range(3):
                await asyncio.sleep(0)  # a yield, not a wait: let the others start
            if "broken" in url:
                raise api.APIConnectionError("connection reset", sent=True)
            if "page" in url:
                return b"<html>a challenge page</html>"
            return self.picture
        finally:
            self.running -= 1


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "thumbs.db") as database:
        yield database


async def test_thumbnails_are_bounded_cached_and_failures_are_placeholders(db: Database) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1024, 1024), (200, 80, 40)).save(out, "PNG")
    client = CountingClient(out.getvalue())

    async def client_for(scope: int | None) -> CountingClient:
        assert scope is None  # result links need no key, as in the presenter
        return client

    cog = History(SimpleNamespace(clients=SimpleNamespace(client_for=client_for), db=db))  # type: ignore[arg-type]
    urls = [f"https://cdn.example/{n}.png" for n in range(7)] + [
        "https://cdn.example/broken.png",
        "https://cdn.example/page.png",
    ]
    jobs = [
        await db.jobs.create(
            guild_id=1, channel_id=1, user_id=2, kind="imagine", status=JobStatus.SUCCEEDED
        )
        for _ in urls
    ]
    jobs = [await db.jobs.update(j.id, image_url=u) for j, u in zip(jobs, urls, strict=True)]
    sheet = Image.open(io.BytesIO(await cog.sheet(jobs))).convert("RGB")
    assert client.peak == FETCHES_AT_ONCE and client.calls == 9
    tiles = [await cog._tile(n, j) for n, j in enumerate(jobs, 1)]
    assert client.calls == 9 + 2  # the failures are tried again, the pictures come from cache
    assert [t.image is not None for t in tiles] == [True] * 7 + [False, False]
    assert [placeholder(sheet, i) for i in range(9)] == [False] * 7 + [True, True]
