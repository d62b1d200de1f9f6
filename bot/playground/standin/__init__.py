"""A fake Discord (REST + gateway + CDN on 127.0.0.1) that unmodified discord.py talks to."""

from .errors import ApiError, Violation
from .interactions import FakeModal, InteractionResult
from .messages import FakeMessage
from .server import FakeDiscord
from .user import FakeUser

__all__ = [
    "ApiError",
    "FakeDiscord",
    "FakeMessage",
    "FakeModal",
    "FakeUser",
    "InteractionResult",
    "Violation",
]
