"""Who may start a paid job, where, and with what prompt: every check but the quotas.

Every paid action (a command, a button press, a modal, Vary Region) reaches upstream through
JobService.reserve, which runs `Policy.admit` and then charges within the quotas in one
transaction. The checks run in a fixed order, and the first failure is a `Refused` with the
sentence for the user; nothing is written or charged before they all pass. Cogs may call
`admit` early to answer a refusal before deferring, but never re-implement a check.

Order: direct messages → bans → channel allow-list → speed mode → prompt (length, banned
words, parameters, multipliers, NSFW) → (in the ledger) user quota → guild budget.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.db import Database
from bot.db.records import GuildSettings, NsfwPolicy
from bot.errors import Refused
from bot.jobs.events import JobConfig, Requester
from bot.jobs.limits import Limits, for_member
from bot.jobs.prompts import DEFAULT_BANNED, check_prompt, find_banned, is_nsfw

# A blocked prompt: (guild id, user id, kind "banned_word" | "upstream_moderation", detail).
HitHook = Callable[[int, int, str, str], Awaitable[None]]


class Policy:
    def __init__(self, db: Database, config: Callable[[], JobConfig]) -> None:
        self.db = db
        self._config = config  # read at each call: the bot sets the notify hook after start
        self.on_hit: HitHook | None = None

    @property
    def config(self) -> JobConfig:
        return self._config()

    async def admit(
        self,
        req: Requester,
        *,
        mode: str,
        typed_prompt: str | None = None,
        prompt: str | None = None,
        several: bool = False,
    ) -> tuple[str | None, Limits]:
        try:
            return await self._admit(
                req, mode=mode, typed_prompt=typed_prompt, prompt=prompt, several=several
            )
        except Refused as exc:
            if exc.key == "prompt.banned" and req.guild_id is not None:
                await self.hit(req.guild_id, req.user_id, "banned_word", str(exc.fields["word"]))
            raise

    async def hit(self, guild_id: int, user_id: int, kind: str, detail: str) -> None:
        """A blocked prompt: the bot decides what follows (the mod-log, escalation)."""
        if self.on_hit is not None:
            await self.on_hit(guild_id, user_id, kind, detail)

    async def _admit(
        self,
        req: Requester,
        *,
        mode: str,
        typed_prompt: str | None = None,
        prompt: str | None = None,
        several: bool = False,
    ) -> tuple[str | None, Limits]:
        """Run every check; returns the typed prompt as it will be sent (normalised) and the
        quotas that apply. `typed_prompt` is what the user typed (all prompt checks);
        `prompt` one the bot reuses, e.g. a parent's (banned words and NSFW only)."""
        settings = await self.db.guilds.get(req.guild_id) if req.guild_id is not None else None
        if settings is None:
            limits = self._direct_message()
        else:
            await self._member(req, settings)
            channel = await self.db.channels.get(settings.guild_id, req.channel_id)
            limits = for_member(req, settings, channel)
        self._mode(mode, settings, req)
        banned = [*DEFAULT_BANNED, *(settings.banned_words if settings else ())]
        if typed_prompt is not None:
            max_jobs = settings.max_repeat if settings else 1
            typed_prompt = check_prompt(typed_prompt, banned, max_jobs=max_jobs, several=several)
        for text in (typed_prompt, prompt):
            if text is None:
                continue
            word = find_banned(text, banned)
            if word is not None:
                raise Refused("prompt.banned", word=word)
            self._nsfw(text, req, settings)
        return typed_prompt, limits

    def _direct_message(self) -> Limits:
        """Jobs in DMs run on the operator's key with no guild to set limits: the operator's
        DM policy decides (off by default)."""
        if self.config.dm_daily_jobs <= 0:
            raise Refused("dm.off")
        return Limits(user_limit=self.config.dm_daily_jobs, guild_limit=None)

    async def _member(self, req: Requester, settings: GuildSettings) -> None:
        if await self.db.guilds.is_banned(settings.guild_id, req.user_id):
            raise Refused("member.banned")
        allowed = settings.allowed_channel_ids
        if allowed and req.channel_id not in allowed:
            raise Refused("channel.not_allowed")

    def _mode(self, mode: str, settings: GuildSettings | None, req: Requester) -> None:
        if mode not in self.config.costs:
            raise Refused("mode.unknown", mode=mode)
        if (
            settings is not None
            and self.config.require_guild_keys
            and not settings.api_key_encrypted
        ):
            raise Refused("key.required")
        turbo_roles = settings.turbo_role_ids if settings else ()
        allowed = req.is_moderator or set(turbo_roles) & set(req.role_ids)
        if mode == "turbo" and turbo_roles and not allowed:
            raise Refused("mode.turbo_roles", roles=" ".join(f"<@&{r}>" for r in turbo_roles))
        if mode == "relax" and not (
            self.config.relax_enabled and (settings is None or settings.relax_enabled)
        ):
            raise Refused("mode.relax_off")

    def _nsfw(self, text: str, req: Requester, settings: GuildSettings | None) -> None:
        if not is_nsfw(text):
            return
        policy = settings.nsfw_policy if settings else NsfwPolicy.BLOCK
        if policy == NsfwPolicy.BLOCK:
            raise Refused("prompt.nsfw_blocked")
        if not req.channel_nsfw:
            raise Refused("prompt.nsfw_channel")
