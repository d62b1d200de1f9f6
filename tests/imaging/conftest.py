"""Each imaging test starts with an empty preview cache, so timings and hits are its own."""

from __future__ import annotations

import pytest

from bot.imaging import clear_preview_cache


@pytest.fixture(autouse=True)
def _fresh_preview_cache() -> None:
    clear_preview_cache()
