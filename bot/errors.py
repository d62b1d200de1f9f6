"""Errors of the bot itself (the CometAPI client has its own tree in bot/cometapi/errors.py).

Each error carries a `key` into bot/messages.py so the Discord side can turn it into one
sentence without parsing text.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of the bot's own errors."""

    key: str = "internal"


class SettingsError(BotError):
    """A setting is missing or invalid; the message is the one sentence to show."""

    key: str = "settings"


class Refused(BotError):
    """A request the bot turns down with one sentence; `key` names it in bot/messages.py.

    `charged` is always False: every path that raises it has refunded (or never charged).
    """

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(key)
        self.key = key
        self.fields = fields
