"""Finding a job's message that Discord has but the database never learnt of.

A command or a click posts the job's message, then records it. A post answered with a 5xx
after Discord did the work, or a process stopped between the post and the record, leaves a
message the job does not know. Before the presenter posts a fallback it looks for one: the
command's own answer (through the interaction's webhook, while its token lives), then the
channel's latest messages; a click's post, by posting again with its nonce. One message per
job, even across restarts.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import discord

from bot.db.records import JobRecord
from bot.ui.render import NO_PINGS, job_embed, job_id_in_footer

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)

# Messages searched for an earlier post of the job: one page of channel history.
HISTORY_LOOKBACK = 100
TOKEN_MARGIN = 30.0  # seconds: a token this close to its end is treated as gone


def press_nonce(job_id: int) -> str:
    """The nonce of a click's post of its job's message. Discord enforces it for a few
    minutes: a later post with it returns that message if Discord made it, whatever the
    channel saw since (`by_press_nonce`)."""
    return f"mjbot-press-{job_id}"


def token_alive(job: JobRecord) -> bool:
    """The interaction that started the job can still reach its messages."""
    expires = job.interaction_expires_at or 0
    return bool(job.interaction_token) and expires > time.time() + TOKEN_MARGIN


def is_about(message: discord.Message, job: JobRecord) -> bool:
    return any(job_id_in_footer(e.footer.text or "") == job.id for e in message.embeds)


async def ours(
    bot: MJBot, channel: discord.abc.Messageable, job: JobRecord
) -> list[discord.Message]:
    """The bot's messages about this job among the channel's latest ones, newest first."""
    me = bot.user.id if bot.user else None
    return [
        message
        async for message in channel.history(limit=HISTORY_LOOKBACK)
        if message.author.id == me and is_about(message, job)
    ]


async def command_answer(bot: MJBot, job: JobRecord) -> discord.Message | None:
    """The answer of the command that started the job, if it shows this job. (A click's
    interaction answers on the message that was clicked, which names another job.)"""
    if not token_alive(job):
        return None
    assert job.interaction_token is not None
    hook = discord.Webhook.partial(bot.application_id or 0, job.interaction_token, client=bot)
    try:
        # discord.py types the id as an int; Discord's route takes "@original" in its place.
        message = await hook.fetch_message("@original")  # type: ignore[arg-type]
    except discord.HTTPException:
        return None  # never answered, or deleted: nothing to adopt
    return message if is_about(message, job) else None


async def earlier_message(
    bot: MJBot, channel: discord.abc.Messageable, job: JobRecord
) -> discord.Message | None:
    """A message about the job already in Discord: the command's answer, else the latest
    matching message in the channel."""
    found = await command_answer(bot, job)
    if found is not None:
        return found
    matches = await ours(bot, channel, job)
    return matches[0] if matches else None


async def by_press_nonce(
    channel: discord.abc.Messageable, job: JobRecord
) -> discord.Message | None:
    """A click's job: post with the click's nonce. Discord returns the click's message if
    it made it (the click's answer was lost, or the process stopped before recording it),
    else this post is the message; either way the caller renders into it."""
    try:
        return await channel.send(
            embed=job_embed(job), allowed_mentions=NO_PINGS, nonce=press_nonce(job.id)
        )
    except discord.NotFound:  # the click's message was made, then deleted
        return None


async def remove_strays(bot: MJBot, job: JobRecord) -> None:
    """Posts of a job's message that failed halfway (a 5xx after Discord did the work, a
    crash) can leave copies beside the one that won the job: remove them. Only where a
    fallback post was ever attempted, so the common path costs no history read."""
    if not job.meta.get("post_attempted") or job.message_id is None or job.private:
        return
    channel = bot.get_partial_messageable(job.channel_id)
    for message in await ours(bot, channel, job):
        if message.id != job.message_id:
            log.info("job %s: removing a stray copy of its message", job.id)
            await message.delete()
