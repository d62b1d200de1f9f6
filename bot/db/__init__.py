"""Storage: SQLite (one process) or PostgreSQL (several) through SQLAlchemy Core. The only
package that contains SQL."""

from bot.db.connection import Database
from bot.db.errors import DatabaseBusy, DatabaseClosed, DatabaseError, MigrationError, NotFound
from bot.db.migrate import Migration, latest_version, load_migrations, migrate
from bot.db.records import (
    PENDING_STATUSES,
    TERMINAL_STATUSES,
    AuditEntry,
    Button,
    ChargeState,
    ClaimRecord,
    ClickPolicy,
    GuildSettings,
    JobRecord,
    JobStatus,
    LedgerEntry,
    LedgerKind,
    NsfwPolicy,
    UserSettings,
)

__all__ = [
    "PENDING_STATUSES",
    "TERMINAL_STATUSES",
    "AuditEntry",
    "Button",
    "ChargeState",
    "ClaimRecord",
    "ClickPolicy",
    "Database",
    "DatabaseBusy",
    "DatabaseClosed",
    "DatabaseError",
    "GuildSettings",
    "JobRecord",
    "JobStatus",
    "LedgerEntry",
    "LedgerKind",
    "Migration",
    "MigrationError",
    "NotFound",
    "NsfwPolicy",
    "UserSettings",
    "latest_version",
    "load_migrations",
    "migrate",
]
