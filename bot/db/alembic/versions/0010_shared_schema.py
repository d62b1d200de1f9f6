"""0010: the schema of the SQLite migrations 0001-0009, on any engine (SQLite, PostgreSQL).

A database made by those older migrations (PRAGMA user_version 9) is stamped at this revision
instead of running it (bot/db/schema_upgrade.py); every later change is a revision after it.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), server_default="{}", nullable=False),
        sa.Column("allowed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.CheckConstraint("allowed IN (0, 1)", name=op.f("ck_audit_log_allowed")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    op.create_index("audit_guild", "audit_log", ["guild_id", "id"], unique=False)
    op.create_table(
        "bot_state",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_state")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "budget_alerts",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "guild_id", "scope", "period", "threshold", name=op.f("pk_budget_alerts")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "channel_settings",
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_settings")),
    )
    op.create_index("channel_settings_guild", "channel_settings", ["guild_id"], unique=False)
    op.create_table(
        "guild_bans",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_guild_bans")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), server_default="{}", nullable=False),
        sa.Column("api_key_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_settings")),
    )
    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("button_index", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("progress", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("prompt", sa.Text(), server_default="", nullable=False),
        sa.Column("final_prompt", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), server_default="fast", nullable=False),
        sa.Column("buttons", sa.Text(), server_default="[]", nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("video_url", sa.Text(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("result_message_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("interaction_token", sa.Text(), nullable=True),
        sa.Column("interaction_expires_at", sa.Double(), nullable=True),
        sa.Column("private", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("charge_state", sa.Text(), server_default="none", nullable=False),
        sa.Column("cost", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("fail_reason", sa.Text(), nullable=True),
        sa.Column("queue_position", sa.Integer(), nullable=True),
        sa.Column("unknown_polls", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_poll_at", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("deadline_at", sa.Double(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.Column("meta", sa.Text(), server_default="{}", nullable=False),
        sa.CheckConstraint(
            "charge_state IN ('none', 'reserved', 'charged', 'refunded')",
            name=op.f("ck_jobs_charge_state"),
        ),
        sa.CheckConstraint(
            "status IN ('reserved', 'submitted', 'queued', 'running', 'modal', 'succeeded', "
            "'failed', 'timed_out', 'cancelled')",
            name=op.f("ck_jobs_status"),
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_jobs_cost")),
        sa.CheckConstraint("private IN (0, 1)", name=op.f("ck_jobs_private")),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_jobs_progress")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["jobs.id"], name=op.f("fk_jobs_parent_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("task_id", name=op.f("uq_jobs_task_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "jobs_due",
        "jobs",
        ["next_poll_at"],
        unique=False,
        sqlite_where=sa.text("status IN ('reserved', 'submitted', 'queued', 'running', 'modal')"),
        postgresql_where=sa.text(
            "status IN ('reserved', 'submitted', 'queued', 'running', 'modal')"
        ),
    )
    op.create_index(
        "jobs_parent",
        "jobs",
        ["parent_id"],
        unique=False,
        sqlite_where=sa.text("parent_id IS NOT NULL"),
        postgresql_where=sa.text("parent_id IS NOT NULL"),
    )
    op.create_index("jobs_user", "jobs", ["guild_id", "user_id", "id"], unique=False)
    op.create_table(
        "moderation_hits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('banned_word', 'upstream_moderation')", name=op.f("ck_moderation_hits_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_hits")),
    )
    op.create_index(
        "moderation_hits_user",
        "moderation_hits",
        ["guild_id", "user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "style_kits",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), server_default="", nullable=False),
        sa.Column("suffix", sa.Text(), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.CheckConstraint("name <> '' AND name = lower(name)", name=op.f("ck_style_kits_name")),
        sa.PrimaryKeyConstraint("guild_id", "name", name=op.f("pk_style_kits")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_settings")),
    )
    op.create_table(
        "claims",
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("button_index", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "child_job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("claimed_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_job_id"],
            ["jobs.id"],
            name=op.f("fk_claims_child_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_claims_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "button_index", name=op.f("pk_claims")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.CheckConstraint("kind IN ('charge', 'refund')", name=op.f("ck_ledger_kind")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_ledger_amount")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_ledger_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")),
        sa.UniqueConstraint("job_id", "kind", name=op.f("uq_ledger_job_id_kind")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ledger_guild",
        "ledger",
        ["guild_id", "created_at"],
        unique=False,
        sqlite_where=sa.text("kind = 'charge'"),
        postgresql_where=sa.text("kind = 'charge'"),
    )
    op.create_index(
        "ledger_guild_user",
        "ledger",
        ["guild_id", "user_id", "created_at"],
        unique=False,
        sqlite_where=sa.text("kind = 'charge'"),
        postgresql_where=sa.text("kind = 'charge'"),
    )
    op.create_table(
        "region_sessions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("button_index", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("selection", sa.Text(), server_default="", nullable=False),
        sa.Column("prompt", sa.Text(), server_default="", nullable=False),
        sa.Column("web_nonce", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("used_at", sa.Double(), nullable=True),
        sa.Column(
            "child_job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("staged_mask", sa.LargeBinary(), nullable=True),
        sa.Column("is_moderator", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("source", sa.LargeBinary(), nullable=True),
        sa.Column("mode", sa.Text(), server_default="", nullable=False),
        sa.Column("private", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "(job_id IS NULL) = (button_index IS NULL)",
            name=op.f("ck_region_sessions_job_and_button"),
        ),
        sa.CheckConstraint("is_moderator IN (0, 1)", name=op.f("ck_region_sessions_is_moderator")),
        sa.CheckConstraint("private IN (0, 1)", name=op.f("ck_region_sessions_private")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_region_sessions_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_sessions")),
        sa.UniqueConstraint("web_nonce", name=op.f("uq_region_sessions_web_nonce")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "region_sessions_job", "region_sessions", ["job_id", "button_index"], unique=False
    )
    # This deployment's tag for the `state` of every submit (see bot/db/connection.py).
    bot_state = sa.table("bot_state", sa.column("key", sa.Text), sa.column("value", sa.Text))
    op.bulk_insert(bot_state, [{"key": "instance", "value": secrets.token_hex(4)}])


def downgrade() -> None:
    raise NotImplementedError("the bot only migrates forward")
