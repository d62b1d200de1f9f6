"""One typed settings object, read from the environment and `.env`.

Every setting is listed, with a comment, in `.env.example`. A missing or invalid value becomes
one `SettingsError` sentence (see `load_settings`), never a traceback.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import SettingsError


class Mode(StrEnum):
    FAST = "fast"
    TURBO = "turbo"
    RELAX = "relax"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    discord_token: SecretStr | None = None
    # Without a key the bot runs against its built-in simulator.
    cometapi_key: SecretStr | None = None
    cometapi_base_url: str = "https://api.cometapi.com"
    cometapi_timeout: float = Field(default=30.0, gt=0, le=300)
    default_mode: Mode = Mode.FAST
    relax_enabled: bool = False
    database_path: Path = Path("data/mjbot.db")
    # Overrides DATABASE_PATH: sqlite:///path, or postgresql://user:password@host/name for
    # several bot processes (README "Running at scale"). Secret: it may carry a password.
    database_url: SecretStr | None = None
    # Where users' browsers reach the bot's web server (region editor, webhooks).
    public_base_url: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8765, ge=0, le=65535)
    # Where `mjbot play` (and `make run` without DISCORD_TOKEN) serves the playground page.
    playground_port: int = Field(default=8765, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Guilds that get the slash commands at once (global sync can take an hour to show).
    dev_guild_ids: Annotated[tuple[int, ...], NoDecode] = ()
    # Built-in simulator pace: 1.0 feels like the real service, 100 runs jobs 100x faster.
    sim_speed: float = Field(default=1.0, gt=0, le=10_000)
    # A job still pending after this many seconds is timed out and refunded.
    job_deadline_seconds: float = Field(default=1800.0, gt=0)
    # Encrypts guild-owned API keys at rest; without it guild keys are disabled.
    master_key: SecretStr | None = None
    # The secret in the webhook URL CometAPI calls back; derived from MASTER_KEY or the API
    # key when unset, so it stays the same across restarts either way.
    webhook_secret: SecretStr | None = None
    # Credits a job costs in each speed mode (budgets and quotas count credits).
    cost_fast: int = Field(default=1, ge=0, le=1000)
    cost_turbo: int = Field(default=3, ge=0, le=1000)
    cost_relax: int = Field(default=1, ge=0, le=1000)
    # Credits for particular buttons whatever the mode, as JSON: {"animate_high": 6}.
    action_costs: dict[str, Annotated[int, Field(ge=0, le=1000)]] = {}
    # Only servers that set their own CometAPI key (/admin key set) may use the bot.
    require_guild_keys: bool = False
    # Jobs a user may start per day in direct messages with the bot (0: none).
    dm_daily_jobs: int = Field(default=0, ge=0, le=10_000)
    # Sharding (README "Running at scale"): the bot's total shard count and the shards this
    # process runs ("0-3", "4,5"). Unset: one process runs every shard Discord recommends.
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: Annotated[tuple[int, ...], NoDecode] = ()
    # How long a stopped process's jobs wait before another process takes them over.
    job_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    # This process's name on the jobs it polls; stable across restarts. Default: "main", or
    # "shards-0-3" for a process running shards 0 to 3.
    process_name: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("public_base_url", mode="before")
    @classmethod
    def _blank_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("cometapi_base_url", "public_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("dev_guild_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return tuple(int(p) for p in parts if p)
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_list(cls, value: object) -> object:
        return parse_shards(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT, the bot's total number of shards")
        if self.shard_count is not None and any(i >= self.shard_count for i in self.shard_ids):
            raise ValueError(f"SHARD_IDS must be below SHARD_COUNT ({self.shard_count})")
        return self

    @property
    def owner(self) -> str:
        """This process's name on its job leases (bot/db/leases.py)."""
        if self.process_name:
            return self.process_name
        if self.shard_ids:
            return "shards-" + ",".join(map(str, self.shard_ids))
        return "main"

    @property
    def syncs_commands(self) -> bool:
        """Slash commands are synced once per deployment: by the process running shard 0."""
        return not self.shard_ids or 0 in self.shard_ids

    @field_validator(
        "discord_token",
        "cometapi_key",
        "master_key",
        "webhook_secret",
        "database_url",
        "shard_count",
        "process_name",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @property
    def database(self) -> str | Path:
        """What Database.open takes: DATABASE_URL when set, else DATABASE_PATH."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return self.database_path

    @property
    def uses_simulator(self) -> bool:
        return self.cometapi_key is None

    def secrets(self) -> list[str]:
        """Values that must never reach a log line or a user."""
        found = [self.discord_token, self.cometapi_key, self.master_key, self.webhook_secret]
        if self.database_url is not None:  # only its password is secret, but all is safe
            found.append(self.database_url)
        return [s.get_secret_value() for s in found if s is not None]


def parse_shards(text: str) -> tuple[int, ...]:
    """ "0-3" → (0, 1, 2, 3); "4,6" → (4, 6); "" → ()."""
    found: list[int] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError("shard ids must be numbers or ranges, like 0-3 or 4,5")
        found += range(int(first), int(last) + 1) if dash else [int(first)]
    if any(i < 0 for i in found) or len(set(found)) != len(found):
        raise ValueError("shard ids must be distinct numbers ≥ 0, like 0-3 or 4,5")
    return tuple(sorted(found))


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise SettingsError with one clear sentence when one is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:  # a rule between settings: the message names them
            raise SettingsError(f"The settings do not fit together: {message}.") from None
        name = str(first["loc"][0]).upper()
        raise SettingsError(f"The setting {name} is invalid: {message}.") from None


def require_discord_token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise SettingsError(
            "DISCORD_TOKEN is not set: copy .env.example to .env and put your bot token there "
            "(Discord Developer Portal → your application → Bot → Reset Token)."
        )
    return settings.discord_token.get_secret_value()
