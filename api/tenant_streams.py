"""The followers of a tenant's jobs: each open ``GET /v1/uploads/events`` stream has a queue
of its event loop, and the status view offers every new status of the tenant's jobs to each
(from its consumer thread, or the thread that put a status)."""

from __future__ import annotations

import asyncio
import threading

from schemas.records import UploadStatus

# a tenant stream that falls this far behind loses its oldest changes (the page reloads)
SUBSCRIBER_QUEUE = 1000


class TenantStreams:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # tenant -> its followers' queues, each with the event loop it belongs to
        self._queues: dict[str, dict[asyncio.Queue[UploadStatus], asyncio.AbstractEventLoop]] = {}

    def subscribe(self, tenant: str) -> asyncio.Queue[UploadStatus]:
        """A queue (of the running loop) that receives each new status of the tenant's jobs."""
        queue: asyncio.Queue[UploadStatus] = asyncio.Queue(SUBSCRIBER_QUEUE)
        loop = asyncio.get_running_loop()
        with self._lock:
            self._queues.setdefault(tenant, {})[queue] = loop
        return queue

    def unsubscribe(self, tenant: str, queue: asyncio.Queue[UploadStatus]) -> None:
        with self._lock:
            queues = self._queues.get(tenant)
            if queues is not None:
                queues.pop(queue, None)
                if not queues:
                    del self._queues[tenant]

    def offer(self, status: UploadStatus) -> None:
        """Thread-safe: hand the status to each follower of its tenant, on its own loop."""
        with self._lock:
            queues = list(self._queues.get(status.tenant, {}).items())
        for queue, loop in queues:
            loop.call_soon_threadsafe(_offer, queue, status)


def _offer(queue: asyncio.Queue[UploadStatus], status: UploadStatus) -> None:
    """Put without blocking: a full queue drops its oldest status for the newest."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(status)
