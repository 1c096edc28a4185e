"""Returns who a token belongs to, remembered for a few seconds per process."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

Caller = TypeVar("Caller")


class TokenCache(Generic[Caller]):
    """Remembers who a token belongs to for a few seconds, per process.

    Saves one query per request; the price is that revoking a token, deactivating an
    officer or changing roles takes effect within `seconds` (0 turns the cache off)."""

    def __init__(self, seconds: float, max_entries: int = 10_000):
        self.seconds = seconds
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._max_entries = max_entries

    def get(self, digest: str) -> Caller | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: str, caller: Caller) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # crude but bounded; entries refill on the next requests
        self._entries[digest] = (time.monotonic() + self.seconds, caller)
