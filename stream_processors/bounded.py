"""A dict that forgets its oldest keys: per-job bookkeeping that must not grow forever."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

V = TypeVar("V")


class BoundedDict(OrderedDict[str, V]):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: str, value: V) -> None:
        """Set ``key`` as the newest entry; drop the oldest beyond ``limit``."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
