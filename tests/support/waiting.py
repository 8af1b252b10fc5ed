"""The one way a test waits: poll a check until it holds, or fail once a deadline passes.

Every wait in the suite goes through ``wait_until``, so each has a timeout and says what it
waited for when it gives up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


def wait_until(
    check: Callable[[], T | None],
    what: str,
    timeout_s: float,
    *,
    every_s: float = 0.2,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """``check()``'s first truthy answer, polled every ``every_s``; an exception of a type in
    ``ignoring`` counts as "not yet" (a table not created yet, an API restarting).

    Raises AssertionError naming ``what``, with the last answer or exception, when
    ``timeout_s`` has passed without one."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while True:
        try:
            found = check()
            if found:
                return found
            last = found
        except ignoring as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {what} ({last!r})")
        time.sleep(every_s)


def api_ready(base_url: str) -> bool:
    """Whether the API at ``base_url`` answers /readyz with 200 (its status view caught up);
    False while it is not listening yet."""
    try:
        return httpx.get(f"{base_url.rstrip('/')}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
