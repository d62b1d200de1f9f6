"""A small discord.py bot for the harness self-tests (not the project's bot)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands


class Counter(discord.ui.DynamicItem[discord.ui.Button], template=r"counter:(?P<key>\w+)"):
    """A persistent button: the count lives in ``bot.store`` (a stand-in for the database)."""

    def __init__(self, key: str) -> None:
        super().__init__(discord.ui.Button(label="Count", custom_id=f"counter:{key}", emoji="➕"))
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Counter:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        store = interaction.client.store  # type: ignore[attr-defined]
        store[self.key] = store.get(self.key, 0) + 1
        view = discord.ui.View(timeout=None)
        view.add_item(Counter(self.key))
        await interaction.response.edit_message(content=f"count={store[self.key]}", view=view)


class PanelButton(discord.ui.DynamicItem[discord.ui.Button], template=r"panel:(?P<n>\d+)"):
    """A persistent button inside a Components-V2 container."""

    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label="Next", custom_id=f"panel:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PanelButton:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(view=panel(self.n + 1))


def panel(n: int) -> discord.ui.LayoutView:
    view = discord.ui.LayoutView(timeout=None)
    view.add_item(
        discord.ui.Container(
            discord.ui.TextDisplay(f"panel {n}"), discord.ui.ActionRow(PanelButton(n))
        )
    )
    return view


class Chooser(discord.ui.View):
    @discord.ui.select(
        custom_id="choose",
        placeholder="Pick one",
        options=[discord.SelectOption(label=x, value=x) for x in ("a", "b", "c")],
    )
    async def choose(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"chose {select.values}", ephemeral=True)


class UploadForm(discord.ui.Modal, title="Describe and upload"):
    prompt = discord.ui.Label(
        text="Prompt", component=discord.ui.TextInput(custom_id="prompt", max_length=200)
    )
    image = discord.ui.Label(
        text="Image", component=discord.ui.FileUpload(custom_id="image", max_values=2)
    )
    note = discord.ui.TextInput(label="Note", custom_id="note", required=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        upload = self.image.component
        assert isinstance(upload, discord.ui.FileUpload)
        prompt = self.prompt.component
        assert isinstance(prompt, discord.ui.TextInput)
        sizes = [len(await a.read()) for a in upload.values]
        names = [a.filename for a in upload.values]
        await interaction.response.send_message(
            f"prompt={prompt.value} note={self.note.value} files={names} sizes={sizes}"
        )


class ChainForm(discord.ui.Modal, title="Chain"):
    """Answers its own submit with another modal, which Discord refuses."""

    answer = discord.ui.TextInput(label="Answer", custom_id="answer")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_modal(ChainForm())
        except discord.HTTPException as exc:
            interaction.client.store["chain_error"] = exc.code  # type: ignore[attr-defined]


class SixRows(discord.ui.View):
    """A view that sends a sixth action row (discord.py's View would refuse to build one)."""

    def to_components(self) -> list[dict[str, Any]]:
        rows = super().to_components()
        extra = [
            {
                "type": 1,
                "components": [{"type": 2, "style": 1, "label": f"r{i}", "custom_id": f"r{i}"}],
            }
            for i in range(6 - len(rows))
        ]
        return rows + extra


class MiniBot(commands.Bot):
    def __init__(self, store: dict[str, Any] | None = None, **kwargs: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, **kwargs)
        self.store: dict[str, Any] = store if store is not None else {}
        self.events: list[Any] = []
        self.slow_delay = 0.5
        self.release = asyncio.Event()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Counter, PanelButton)
        _add_commands(self)
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id != self.user.id:  # type: ignore[union-attr]
            self.events.append(
                ("message", message.content, [a.filename for a in message.attachments])
            )

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.events.append(("reaction", str(payload.emoji), payload.user_id))


settings = app_commands.Group(name="settings", description="Bot settings")


@settings.command(name="show", description="Show a setting")
async def settings_show(interaction: discord.Interaction, key: str) -> None:
    await interaction.response.send_message(f"{key} is unset", ephemeral=True)


def _add_commands(bot: MiniBot) -> None:
    tree = bot.tree
    tree.add_command(settings)

    @tree.command(description="Answer at once")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @tree.command(description="Defer, edit the original, then follow up")
    @app_commands.describe(private="Answer ephemerally")
    async def slow(interaction: discord.Interaction, private: bool = False) -> None:
        await interaction.response.defer(thinking=True, ephemeral=private)
        await interaction.edit_original_response(content="done")
        await interaction.followup.send("and a follow-up", ephemeral=private)

    @tree.command(description="Echo an image back with its size")
    async def upload(
        interaction: discord.Interaction, image: discord.Attachment, count: int = 1
    ) -> None:
        data = await image.read()
        await interaction.response.send_message(
            f"{image.filename}: {len(data)} bytes x{count}",
            file=discord.File(__import__("io").BytesIO(data), filename=image.filename),
        )

    @tree.command(description="Post a persistent counter button")
    async def counter(interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(Counter(str(interaction.id)))
        await interaction.response.send_message("count=0", view=view)

    @tree.command(description="Open a modal")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(UploadForm())

    @tree.context_menu(name="Quote message")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"quoted: {message.content}", ephemeral=True)

    @tree.context_menu(name="Greet")
    async def greet(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"hello {member.name}")

    @tree.command(name="panel", description="Post a Components V2 panel")
    async def panel_command(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(view=panel(0))

    @tree.command(description="Post a select menu")
    async def choose(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("choose", view=Chooser())

    @tree.command(description="Open a modal that answers with a modal")
    async def chain(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(ChainForm())

    @tree.command(description="Defer, then edit when the test says so")
    async def longjob(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await bot.release.wait()
        try:
            await interaction.edit_original_response(content="finished")
        except discord.HTTPException as exc:
            bot.store["longjob_error"] = (exc.status, exc.code)
            assert isinstance(interaction.channel, discord.TextChannel)
            await interaction.channel.send("finished (as a channel message)")

    @tree.command(description="Post, thread, react, DM")
    async def social(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send(
            "thread starter", file=discord.File(__import__("io").BytesIO(b"hello"), "hello.txt")
        )
        await message.add_reaction("👍")
        thread = await message.create_thread(name="discussion")
        await thread.send("inside the thread")
        await interaction.user.send("a direct message")
        await interaction.followup.send("social done", ephemeral=True)

    @tree.command(description="Pick a fruit")
    async def pick(interaction: discord.Interaction, fruit: str) -> None:
        await interaction.response.send_message(f"picked {fruit}")

    @pick.autocomplete("fruit")
    async def pick_complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        fruits = ["apple", "apricot", "banana", "cherry"]
        return [app_commands.Choice(name=f, value=f) for f in fruits if f.startswith(current)]

    @tree.command(description="Send a custom_id of 101 characters")
    async def badid(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="x", custom_id="x" * 101))
        await interaction.response.send_message("bad", view=view)

    @tree.command(description="Send six action rows")
    async def sixrows(interaction: discord.Interaction) -> None:
        view = SixRows()
        view.add_item(discord.ui.Button(label="row", custom_id="row"))
        await interaction.response.send_message("rows", view=view)

    @tree.command(description="Answer too late")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(bot.slow_delay)
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as exc:
            bot.store["late_error"] = exc.code

    @tree.command(description="Say something twice (response and follow-up), pinging or not")
    async def say(interaction: discord.Interaction, text: str, quiet: bool = False) -> None:
        mentions = discord.AllowedMentions.none() if quiet else discord.utils.MISSING
        await interaction.response.send_message(text, allowed_mentions=mentions)
        await interaction.followup.send(f"again: {text}", allowed_mentions=mentions)

    @tree.command(description="Post in a channel (for fault tests)")
    async def post(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        try:
            await interaction.channel.send(text)
        except discord.Forbidden as exc:
            await interaction.followup.send(f"forbidden {exc.code}", ephemeral=True)
        else:
            await interaction.followup.send("posted", ephemeral=True)
