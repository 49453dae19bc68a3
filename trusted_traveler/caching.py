"""A small in-process cache for figures that are costly to compute and may be a few minutes old (typical times,
the public dashboard). Each worker process keeps its own; nothing personal is ever cached here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_registry: list[TTLCache] = []


class TTLCache:
    """A tiny thread-safe cache whose entries expire `seconds` after they were computed. Computing holds the lock,
    so a burst of requests after expiry computes a figure once, not once per request."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, maxsize: int = 256):
        self._clock = clock
        self._maxsize = maxsize
        self._entries: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()
        _registry.append(self)

    def get(self, key, seconds: float, compute: Callable[[], object]):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() < entry[0]:
                return entry[1]
            value = compute()
            self._entries.pop(key, None)
            self._entries[key] = (self._clock() + seconds, value)
            if len(self._entries) > self._maxsize:  # keys a caller chooses (a date, say) cannot grow it for ever
                self._evict()
            return value

    def _evict(self) -> None:
        """Drop the expired entries, then the oldest computed until `maxsize` are left."""
        now = self._clock()
        for key in [key for key, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) > self._maxsize:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    """Forget every cached figure (tests call this between tests)."""
    for cache in _registry:
        cache.clear()
