"""One daemon thread per API helper that works in the background (the status view, the
spool's sweep, the mapping expiry): started once, stopped with a bounded wait."""

from __future__ import annotations

import threading


class BackgroundLoop:
    """A subclass sets ``thread_name`` and writes ``_run``, which returns once ``_stop`` is
    set; ``_on_start`` resets what a restart must not keep."""

    thread_name = "background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._on_start()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _on_start(self) -> None:
        pass

    def _run(self) -> None:
        raise NotImplementedError
