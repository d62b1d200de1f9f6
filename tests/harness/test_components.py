"""Persistent buttons (DynamicItem) across a restart, and modals with a FileUpload."""

from __future__ import annotations

from bot.playground.standin import FakeDiscord
from tests.harness.minibot import MiniBot


async def test_dynamic_button_survives_restart(fake_discord: FakeDiscord, run_client) -> None:
    store: dict[str, int] = {}
    alice = fake_discord.user("alice")
    async with run_client(MiniBot(store)):
        posted = await alice.slash("counter")
        message = posted.message
        clicked = await alice.click(message, "Count")
        assert clicked.callback_type == 7
        assert message.content == "count=1"
        assert (await alice.click(message, "➕")).message is message
        assert message.content == "count=2"
    # The bot is gone; the fake keeps the message. A new client gets the same click.
    async with run_client(MiniBot(store)):
        again = await alice.click(message, message.custom_ids[0])
        assert again.responded
        assert message.content == "count=3"
    assert fake_discord.gateway.identify_count == 2


async def test_modal_with_text_and_file_upload(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice = fake_discord.user("alice")
        opened = await alice.slash("form")
        assert opened.callback_type == 9
        assert opened.modal.title == "Describe and upload"
        submitted = await alice.submit_modal(
            opened.modal,
            {"Prompt": "a red fox", "note": "hi"},
            files={"image": [("fox.png", b"\x89PNG fox"), ("b.txt", b"12345")]},
        )
        message = await submitted.wait_for_message()
        assert message.content == (
            "prompt=a red fox note=hi files=['fox.png', 'b.txt'] sizes=[8, 5]"
        )
        assert len(fake_discord.cdn_downloads) == 2
