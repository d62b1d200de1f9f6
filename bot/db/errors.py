"""Errors raised by the storage layer; each carries a `key` into bot/messages.py."""

from __future__ import annotations

from bot.errors import BotError


class DatabaseError(BotError):
    """Base of the storage errors."""

    key = "internal"


class MigrationError(DatabaseError):
    """A migration file is malformed, failed to apply, or the schema is newer than the code."""


class DatabaseBusy(DatabaseError):
    """Another writer held the database lock for longer than the busy timeout."""

    key = "busy"


class DatabaseClosed(DatabaseError):
    """A statement came after `Database.close()`: a task of a stopping bot outlived it."""


class NotFound(DatabaseError, LookupError):
    """The row an operation needs does not exist."""
