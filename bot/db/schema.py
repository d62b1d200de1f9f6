"""The schema as SQLAlchemy Core tables: one definition for SQLite and PostgreSQL.

The migrations (bot/db/alembic/versions) build it; `tests/db/test_schema.py` checks that
their head matches these tables on both engines. Conventions, so both engines agree:
- times are Unix epoch seconds as DOUBLE (PostgreSQL's REAL would lose the milliseconds);
- Discord ids are BIGINT (they pass 2**31); surrogate ids are BIGINT too, but INTEGER on
  SQLite, where only "INTEGER PRIMARY KEY" is the rowid (AUTOINCREMENT: never reused, since
  ids live in custom_ids);
- flags are INTEGER 0/1 with a CHECK, as SQLite stores them; JSON is TEXT.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)

#: A surrogate key: BIGINT, but SQLite's rowid alias there.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ACTIVE = "status IN ('reserved', 'submitted', 'queued', 'running', 'modal')"


def _flag(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False, server_default=text("0"))


def _flag_check(name: str) -> CheckConstraint:
    return CheckConstraint(f"{name} IN (0, 1)", name=name)


jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger),  # NULL in DMs
    Column("channel_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("parent_id", Id, ForeignKey("jobs.id", ondelete="SET NULL")),
    Column("button_index", Integer),
    Column("task_id", Text, unique=True),  # NULLs do not collide
    Column("kind", Text, nullable=False),
    Column("action", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False),
    Column("progress", Integer, nullable=False, server_default=text("0")),
    Column("prompt", Text, nullable=False, server_default=""),
    Column("final_prompt", Text),
    Column("mode", Text, nullable=False, server_default="fast"),
    Column("buttons", Text, nullable=False, server_default="[]"),  # JSON list
    Column("image_url", Text),
    Column("video_url", Text),
    Column("message_id", BigInteger),
    Column("result_message_id", BigInteger),
    Column("thread_id", BigInteger),
    Column("interaction_token", Text),
    Column("interaction_expires_at", Double),
    _flag("private"),
    Column("charge_state", Text, nullable=False, server_default="none"),
    Column("cost", Integer, nullable=False, server_default=text("0")),
    Column("fail_reason", Text),
    Column("queue_position", Integer),
    Column("unknown_polls", Integer, nullable=False, server_default=text("0")),
    Column("next_poll_at", Double, nullable=False, server_default=text("0")),
    Column("deadline_at", Double),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    Column("finished_at", Double),
    Column("meta", Text, nullable=False, server_default="{}"),  # JSON object
    # Which bot process polls the job, and until when (migration 0011, bot/db/jobs.py).
    Column("lease_owner", Text),
    Column("lease_until", Double),
    CheckConstraint(
        "status IN ('reserved', 'submitted', 'queued', 'running', 'modal', 'succeeded', "
        "'failed', 'timed_out', 'cancelled')",
        name="status",
    ),
    CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    _flag_check("private"),
    CheckConstraint(
        "charge_state IN ('none', 'reserved', 'charged', 'refunded')", name="charge_state"
    ),
    CheckConstraint("cost >= 0", name="cost"),
    sqlite_autoincrement=True,
)
# The tracker's "what is due" scan only ever looks at unfinished jobs.
Index(
    "jobs_due",
    jobs.c.next_poll_at,
    sqlite_where=text(ACTIVE),
    postgresql_where=text(ACTIVE),
)
Index("jobs_user", jobs.c.guild_id, jobs.c.user_id, jobs.c.id)
Index(
    "jobs_parent",
    jobs.c.parent_id,
    sqlite_where=text("parent_id IS NOT NULL"),
    postgresql_where=text("parent_id IS NOT NULL"),
)

# One row per pressed button: the primary key makes a double click one paid job.
claims = Table(
    "claims",
    metadata,
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("button_index", Integer, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("child_job_id", Id, ForeignKey("jobs.id", ondelete="SET NULL")),
    Column("claimed_at", Double, nullable=False),
    PrimaryKeyConstraint("job_id", "button_index"),
    sqlite_with_rowid=False,
)

guild_settings = Table(
    "guild_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False, server_default="{}"),  # only changed values
    Column("api_key_encrypted", LargeBinary),
    Column("updated_at", Double, nullable=False),
)

guild_bans = Table(
    "guild_bans",
    metadata,
    Column("guild_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("actor_id", BigInteger, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double),  # NULL: until unbanned
    PrimaryKeyConstraint("guild_id", "user_id"),
    sqlite_with_rowid=False,
)

user_settings = Table(
    "user_settings",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False, server_default="{}"),
    Column("updated_at", Double, nullable=False),
)

# Money: at most one charge and one refund per job, enforced by the database.
ledger = Table(
    "ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job_id", Id, ForeignKey("jobs.id"), nullable=False),
    Column("guild_id", BigInteger),
    Column("user_id", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("reason", Text),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("job_id", "kind"),
    CheckConstraint("kind IN ('charge', 'refund')", name="kind"),
    CheckConstraint("amount >= 0", name="amount"),
    sqlite_autoincrement=True,
)
CHARGES = "kind = 'charge'"
Index(
    "ledger_guild_user",
    ledger.c.guild_id,
    ledger.c.user_id,
    ledger.c.created_at,
    sqlite_where=text(CHARGES),
    postgresql_where=text(CHARGES),
)
Index(
    "ledger_guild",
    ledger.c.guild_id,
    ledger.c.created_at,
    sqlite_where=text(CHARGES),
    postgresql_where=text(CHARGES),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger),
    Column("actor_id", BigInteger, nullable=False),
    Column("action", Text, nullable=False),
    Column("detail", Text, nullable=False, server_default="{}"),
    Column("allowed", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    _flag_check("allowed"),
    sqlite_autoincrement=True,
)
Index("audit_guild", audit_log.c.guild_id, audit_log.c.id)

# Mask editors: Vary (Region) of one job's button, or /edit of an uploaded image (no job).
region_sessions = Table(
    "region_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE")),
    Column("button_index", Integer),
    Column("user_id", BigInteger, nullable=False),
    Column("guild_id", BigInteger),
    Column("channel_id", BigInteger, nullable=False),
    Column("selection", Text, nullable=False, server_default=""),
    Column("prompt", Text, nullable=False, server_default=""),
    Column("web_nonce", Text, unique=True),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("used_at", Double),
    Column("child_job_id", Id),
    Column("staged_mask", LargeBinary),
    _flag("is_moderator"),
    Column("source", LargeBinary),
    Column("mode", Text, nullable=False, server_default=""),
    _flag("private"),
    _flag_check("is_moderator"),
    _flag_check("private"),
    CheckConstraint("(job_id IS NULL) = (button_index IS NULL)", name="job_and_button"),
    sqlite_autoincrement=True,
)
Index("region_sessions_job", region_sessions.c.job_id, region_sessions.c.button_index)

# Small facts about this deployment; `instance` tags the `state` of every submit.
bot_state = Table(
    "bot_state",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

channel_settings = Table(
    "channel_settings",
    metadata,
    Column("channel_id", BigInteger, primary_key=True, autoincrement=False),
    Column("guild_id", BigInteger, nullable=False),
    Column("data", Text, nullable=False, server_default="{}"),
    Column("updated_at", Double, nullable=False),
)
Index("channel_settings_guild", channel_settings.c.guild_id)

# A budget alert is sent once per threshold and period: the primary key makes it once.
budget_alerts = Table(
    "budget_alerts",
    metadata,
    Column("guild_id", BigInteger, nullable=False),
    Column("scope", Text, nullable=False),  # 'guild' or 'channel:<id>'
    Column("period", Text, nullable=False),  # the calendar month, '2026-12'
    Column("threshold", Integer, nullable=False),  # percent
    Column("sent_at", Double, nullable=False),
    PrimaryKeyConstraint("guild_id", "scope", "period", "threshold"),
    sqlite_with_rowid=False,
)

moderation_hits = Table(
    "moderation_hits",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("created_at", Double, nullable=False),
    CheckConstraint("kind IN ('banned_word', 'upstream_moderation')", name="kind"),
)
Index(
    "moderation_hits_user",
    moderation_hits.c.guild_id,
    moderation_hits.c.user_id,
    moderation_hits.c.created_at,
)

style_kits = Table(
    "style_kits",
    metadata,
    Column("guild_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("params", Text, nullable=False, server_default=""),
    Column("suffix", Text, nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", Double, nullable=False),
    PrimaryKeyConstraint("guild_id", "name"),
    CheckConstraint("name <> '' AND name = lower(name)", name="name"),
    sqlite_with_rowid=False,
)

# Message edits of the last seconds, per channel: Discord's edit limit is per bot, so processes
# share one budget (bot/db/edits.py; migration 0012).
channel_edits = Table(
    "channel_edits",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", BigInteger, nullable=False),
    Column("at", Double, nullable=False),
)
Index("channel_edits_channel", channel_edits.c.channel_id, channel_edits.c.at)
