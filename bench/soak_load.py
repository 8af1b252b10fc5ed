"""The load of ``python -m bench soak``: steady uploads, SSE clients that connect and drop,
status polling; and the SSE storm (many event streams opened and dropped at once)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

API_KEY = "soak-key"
TENANT = "soak"


@dataclass
class LoadStats:
    uploads: int = 0
    upload_errors: int = 0
    refused_full: int = 0
    polls: int = 0
    poll_errors: int = 0
    sse_opened: int = 0
    sse_errors: int = 0
    latencies: list[float] = field(default_factory=list)  # upload accept, s
    last_error: str = ""


class SoakLoad:
    """Threads that keep the API busy until ``stop``: one uploader (a small file every
    ``small_every_s``, a large one every ``large_every_s``, some with an Idempotency-Key),
    ``pollers`` status pollers and ``sse_clients`` event-stream clients that follow a recent
    job for a random 0.5-5 s and drop it."""

    def __init__(
        self,
        base_url: str,
        small: Path,
        large: Path,
        *,
        small_every_s: float,
        large_every_s: float,
        pollers: int = 2,
        sse_clients: int = 8,
    ) -> None:
        self.base_url = base_url
        self.small, self.large = small, large
        self.small_every_s, self.large_every_s = small_every_s, large_every_s
        self.pollers, self.sse_clients = pollers, sse_clients
        self.stats = LoadStats()
        self.jobs: deque[str] = deque(maxlen=500)  # recent job ids, for polls and streams
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        targets = (
            [self._uploader] + [self._poller] * self.pollers + [self._follower] * self.sse_clients
        )
        for n, target in enumerate(targets):
            thread = threading.Thread(target=target, name=f"soak-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _client(self) -> Any:
        import httpx

        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=httpx.Timeout(60.0),
        )

    def _uploader(self) -> None:
        next_large = time.monotonic() + self.large_every_s / 2
        n = 0
        with self._client() as http:
            while not self._stop.is_set():
                started = time.monotonic()
                big = started >= next_large
                if big:
                    next_large += self.large_every_s
                path = self.large if big else self.small
                headers = {"Idempotency-Key": f"soak-{n}"} if n % 5 == 0 else {}
                n += 1
                try:
                    with path.open("rb") as f:
                        answer = http.post(
                            "/v1/uploads",
                            files={"file": (path.name, f)},
                            data={"dataset": "orders"},
                            headers=headers,
                        )
                    with self._lock:
                        if answer.status_code == 202:
                            self.stats.uploads += 1
                            self.stats.latencies.append(time.monotonic() - started)
                            self.jobs.append(answer.json()["job_id"])
                        elif answer.status_code == 503 and "spool" in answer.text:
                            self.stats.refused_full += 1
                        else:
                            self.stats.upload_errors += 1
                            self.stats.last_error = f"{answer.status_code} {answer.text[:200]}"
                except Exception as exc:
                    with self._lock:
                        self.stats.upload_errors += 1
                        self.stats.last_error = repr(exc)[:200]
                self._stop.wait(max(0.0, self.small_every_s - (time.monotonic() - started)))

    def _recent(self) -> str | None:
        with self._lock:
            return random.choice(self.jobs) if self.jobs else None

    def _poller(self) -> None:
        with self._client() as http:
            while not self._stop.wait(0.2):
                job = self._recent()
                try:
                    if job is None or random.random() < 0.2:
                        answer = http.get(f"/v1/uploads?limit=50&offset={random.randrange(5) * 50}")
                    else:
                        answer = http.get(f"/v1/uploads/{job}")
                    ok = answer.status_code == 200
                except Exception:
                    ok = False
                with self._lock:
                    self.stats.polls += 1
                    self.stats.poll_errors += not ok

    def _follower(self) -> None:
        with self._client() as http:
            while not self._stop.wait(random.uniform(0.1, 1.0)):
                job = self._recent()
                if job is None:
                    continue
                until = time.monotonic() + random.uniform(0.5, 5.0)
                try:
                    with http.stream("GET", f"/v1/uploads/{job}/events") as stream:
                        for _line in stream.iter_lines():
                            if time.monotonic() > until or self._stop.is_set():
                                break  # the client drops the stream
                    with self._lock:
                        self.stats.sse_opened += 1
                except Exception:
                    with self._lock:
                        self.stats.sse_errors += 1


async def _one_stream(host: str, port: int, job_id: str) -> bool:
    """Open one event stream, read its first event, drop the connection."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
    try:
        writer.write(
            f"GET /v1/uploads/{job_id}/events HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {API_KEY}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        while True:
            line = await asyncio.wait_for(reader.readline(), 30)
            if not line:
                return False
            if line.startswith(b"data:"):
                return True
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def sse_storm(host: str, port: int, job_id: str, total: int, concurrency: int) -> dict[str, Any]:
    """``total`` event streams on a running job, ``concurrency`` at a time, each dropped after
    its first event."""

    async def run() -> tuple[int, int]:
        gate = asyncio.Semaphore(concurrency)
        ok = failed = 0

        async def one() -> None:
            nonlocal ok, failed
            async with gate:
                try:
                    if await _one_stream(host, port, job_id):
                        ok += 1
                    else:
                        failed += 1
                except Exception:
                    failed += 1

        await asyncio.gather(*(one() for _ in range(total)))
        return ok, failed

    started = time.monotonic()
    ok, failed = asyncio.run(run())
    return {
        "streams": total,
        "ok": ok,
        "failed": failed,
        "seconds": round(time.monotonic() - started, 1),
    }
