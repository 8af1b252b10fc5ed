"""A gate with a few slots that lets the most urgent waiter in first.

The chunk workers of all tiers share one process, and with SQLite one database writer at a
time: left to SQLite's busy handler, a small upload's chunk polled for the lock with
backoff while 10,000-row chunks of big jobs took it in turn, and waited up to 10 s for a
write of a few ms. Through this gate the writers queue in the process instead, by tier
(high first) and then by arrival, so a high-tier chunk waits for at most the write in
progress.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PriorityGate:
    """At most ``slots`` holders at once; a free slot goes to the waiter with the lowest
    ``priority`` number, the earliest among equals. Thread-safe."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self._held = 0
        self._waiting: list[tuple[int, int]] = []  # (priority, ticket), a heap
        self._tickets = itertools.count()
        self._changed = threading.Condition()

    def acquire(self, priority: int = 0) -> None:
        with self._changed:
            ticket = (priority, next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            while self._held >= self.slots or self._waiting[0] != ticket:
                self._changed.wait()
            heapq.heappop(self._waiting)
            self._held += 1
            # the next waiter may fit too (several slots free at once)
            self._changed.notify_all()

    def release(self) -> None:
        with self._changed:
            if self._held <= 0:
                raise RuntimeError("release of a gate that is not held")
            self._held -= 1
            self._changed.notify_all()

    @contextmanager
    def slot(self, priority: int = 0) -> Iterator[None]:
        self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)
