"""/edit through Discord and the simulator: an uploaded image, the area marked the three
Vary (Region) ways, then one paid /mj/submit/edits job with that area transparent."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from bot.app import MJBot
from bot.messages import say
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from tests.e2e.conftest import final, upstream
from tests.e2e.test_region import menu, png, shows

PROMPT = "a red door"


def photo(size: tuple[int, int] = (300, 200)) -> bytes:
    image = Image.new("RGB", size, (40, 90, 160))
    image.paste((240, 200, 40), (0, 0, size[0] // 2, size[1]))
    return png(image)


def sent_image(sim: Simulator) -> Image.Image:
    (request,) = upstream(sim, "/submit/edits")
    head, _, data = request.json["image"].partition(",")
    assert head == "data:image/png;base64"
    return Image.open(io.BytesIO(base64.b64decode(data)))


async def open_edit(alice: Any, **options: Any) -> Any:
    started = await alice.slash("edit", image=("photo.png", photo()), prompt=PROMPT, **options)
    chooser = await started.wait_for_message(lambda m: bool(m.buttons))
    assert chooser.ephemeral and chooser.attachments  # the image it is about, only for them
    assert say("edit.choose", prompt=PROMPT) in chooser.text
    return chooser


async def test_edit_by_painting_cells(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    chooser = await open_edit(alice)
    assert [b.get("label") for b in chooser.buttons] == ["Paint here", "Upload a mask"]
    assert not upstream(sim, "/submit/edits")  # nothing is charged for opening the editor
    editor = await (await alice.click(chooser, "Paint here")).wait_for_message(
        lambda m: bool(m.attachments) and bool(m.buttons)
    )
    await menu(alice, editor, "left")
    # 3:2 image: 5 x 3 coarse cells; the left half is columns A, B and half of C.
    # 3:2 image: 5 x 3 coarse cells of 3 x 3; the left half is 8 of the 15 fine columns.
    await shows(fake_discord, editor, "Selected: A1, B1, C1·1, C1·2, C1·4, C1·5, C1·7, C1·8, A2,")
    opened = await alice.click(editor, "Continue")
    assert opened.modal is not None and opened.modal.title == say("edit.modal_title")
    ((field, _),) = opened.modal.inputs()
    assert field["value"] == PROMPT and field["required"] is True
    await alice.submit_modal(opened, {"Prompt": "a blue door"})
    job = await fake_discord.wait_for_message(lambda m: final(m) and not m.ephemeral)
    assert "a blue door" in job.text and {"U1", "V4"} <= {b.get("label") for b in job.buttons}
    assert not job.message_reference  # a new message in the channel, no parent to reply to
    await shows(fake_discord, editor, say("edit.started"))
    sent = sent_image(sim)
    assert sent.mode == "RGBA" and sent.size == (300, 200)
    alpha = sent.getchannel("A")
    assert alpha.getpixel((20, 100)) == 0 and alpha.getpixel((280, 100)) == 255
    assert sent.getpixel((280, 100)) == (40, 90, 160, 255)  # the kept part is the image itself
    assert upstream(sim, "/submit/edits")[0].json["prompt"] == "a blue door"
    # The job's buttons work like any grid's.
    await alice.click(job, "U2")
    await fake_discord.wait_for_message(
        lambda m: m.id != job.id and final(m) and "Image #2" in m.text
    )


async def test_edit_by_uploading_a_mask_privately(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    chooser = await open_edit(alice, private=True)
    opened = await alice.click(chooser, "Upload a mask")
    assert opened.modal.title == say("edit.upload_title")
    mask = Image.new("L", (150, 100), 0)  # half the size: it is rescaled
    mask.paste(255, (75, 0, 150, 100))  # the right half
    sent = await alice.submit_modal(
        opened, {"Prompt": "a green door"}, files={"Mask or painted copy": [("m.png", png(mask))]}
    )
    confirm = await sent.wait_for_message(lambda m: "Confirm" in m.text and bool(m.buttons))
    assert not upstream(sim, "/submit/edits")
    await alice.click(confirm, "Confirm")
    job = await fake_discord.wait_for_message(lambda m: final(m) and "a green door" in m.text)
    assert job.ephemeral  # private: only Alice sees the job
    await shows(fake_discord, confirm, say("edit.started_private"))
    alpha = sent_image(sim).getchannel("A")
    assert alpha.getpixel((280, 100)) == 0 and alpha.getpixel((20, 100)) == 255


async def test_edit_offers_the_web_editor_and_refuses_bad_input(
    make_bot: Callable[..., MJBot],
    run_client: Callable[..., Any],
    fake_discord: FakeDiscord,
    sim: Simulator,
) -> None:
    alice = fake_discord.user("alice")
    async with run_client(make_bot(public_base_url="https://mj.example.org")):
        chooser = await open_edit(alice)
        link = chooser.find_component("Web editor")["url"]
        assert link.startswith("https://mj.example.org/region/")
        bad = await alice.slash("edit", image=("notes.png", b"hello, not a picture"), prompt="x")
        refusal = await bad.wait_for_message(lambda m: "notes.png" in m.text)
        assert refusal.ephemeral and not refusal.buttons
        # The chooser from before still works: a bad upload lost nothing.
        assert (await alice.click(chooser, "Upload a mask")).modal is not None
    assert not upstream(sim, "/submit/edits")
