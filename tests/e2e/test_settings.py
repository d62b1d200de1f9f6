"""/settings (a panel of one's own defaults) and /prefer option sets, through Discord."""

from __future__ import annotations

from bot.app import MJBot
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from tests.e2e.conftest import final, upstream


def last_prompt(sim: Simulator) -> str:
    return str(upstream(sim, "/submit/imagine")[-1].json["prompt"])


async def test_personal_defaults_from_the_panel_apply_and_typed_ones_win(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    panel = await (await alice.slash("settings")).wait_for_message(lambda m: bool(m.buttons))
    assert panel.ephemeral and "Version: the server's" in panel.text
    await alice.select(panel, panel.custom_ids[1], ["7"])
    await fake_discord.wait_until(lambda: "Version: 7" in panel.text, what="the version saved")
    await alice.select(panel, panel.custom_ids[2], ["3:2"])
    await fake_discord.wait_until(lambda: "Aspect: 3:2" in panel.text, what="the aspect saved")
    await alice.click(panel, "Stealth: off")
    await fake_discord.wait_until(lambda: "Stealth: on" in str(panel.buttons), what="stealth")
    form = await alice.click(panel, "Stylize, suffix, --p…")
    assert form.modal is not None
    await alice.submit_modal(
        form,
        {
            "Stylize (0–1000, empty: Midjourney's)": "250",
            "Suffix added to every prompt": "soft light",
            "Personalization code (--p)": "abc123",
        },
    )
    await fake_discord.wait_until(lambda: "Stylize: 250" in panel.text, what="the form saved")

    job = await (await alice.slash("imagine", prompt="a fox")).wait_for_message(final, timeout=20)
    assert job.ephemeral  # stealth
    sent = last_prompt(sim)
    for part in ("a fox", "--p abc123", "soft light", "--ar 3:2", "--v 7", "--stylize 250"):
        assert part in sent, sent
    await (
        await alice.slash("imagine", prompt="a fox --ar 1:1 --v 6", private=False)
    ).wait_for_message(final, timeout=20)
    sent = last_prompt(sim)
    assert "--ar 1:1" in sent and "3:2" not in sent and "--v 7" not in sent


async def test_prefer_option_sets_expand_in_prompts(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    saved = await (
        await alice.slash("prefer option", name="mine", value="--chaos 20 --s 300")
    ).wait_for_message()
    assert "--mine in a prompt now means" in saved.text
    taken = await (
        await alice.slash("prefer option", name="ar", value="--ar 3:2")
    ).wait_for_message()
    assert "is a Midjourney parameter" in taken.text
    await (await alice.slash("imagine", prompt="a cat --mine")).wait_for_message(final, timeout=20)
    assert last_prompt(sim) == "a cat --chaos 20 --s 300"
    listed = await (await alice.slash("prefer list")).wait_for_message()
    assert "--mine" in listed.text
