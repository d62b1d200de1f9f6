"""``enforce_nonce``: a create repeated with the same nonce returns the first message.

Discord checks the nonce of a message create sent with ``enforce_nonce: true`` for uniqueness
"in the past few minutes": if the same author already created a message with that nonce, that
message is returned and no new one is created. discord.py sends every channel message with a
random nonce and ``enforce_nonce``, so its retries (after a 5xx, say) never post twice.
"""

from __future__ import annotations

from collections import deque


class NonceIndex:
    """(author id, nonce) → message id, for ``window`` seconds on the fake's monotonic clock.
    Lookups and inserts are O(1) amortised; expired entries are dropped oldest first."""

    def __init__(self, window: float = 300.0) -> None:
        self.window = window
        self._by_key: dict[tuple[int, str], tuple[float, int]] = {}
        self._order: deque[tuple[float, tuple[int, str]]] = deque()

    def _expire(self, now: float) -> None:
        order, by_key = self._order, self._by_key
        while order and order[0][0] <= now - self.window:
            stamp, key = order.popleft()
            if by_key.get(key, (None,))[0] == stamp:
                del by_key[key]

    def find(self, author_id: int, nonce: str, now: float) -> int | None:
        self._expire(now)
        entry = self._by_key.get((author_id, nonce))
        return entry[1] if entry is not None else None

    def remember(self, author_id: int, nonce: str, message_id: int, now: float) -> None:
        key = (author_id, nonce)
        self._by_key[key] = (now, message_id)
        self._order.append((now, key))

    def __len__(self) -> int:
        return len(self._by_key)
