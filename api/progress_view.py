"""The status view: the compacted progress topic, read into memory and followed.

A background thread runs a confluent-kafka Consumer that belongs to no consumer group in
effect (a unique group id, no commits): it assigns every partition of the progress topic
from the beginning, so replaying the compacted topic rebuilds every job's status. The view
knows it has caught up once it reached the high watermarks it saw at start. Async code
waits for the next change of one job with ``wait_change``, or follows every change of a
tenant's jobs through a queue from ``subscribe``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from pydantic import ValidationError

from messaging.clients import FOLLOWER_FETCH_WAIT_MS, consumer_config
from messaging.names import group_names, instance_id, topic_names
from schemas.records import UploadStatus, is_step_back
from schemas.settings import Settings

log = logging.getLogger(__name__)

ChangeHook = Callable[[UploadStatus | None, UploadStatus], None]
# a tenant stream that falls this far behind loses its oldest changes (the page reloads)
SUBSCRIBER_QUEUE = 1000


def view_consumer_config(
    settings: Settings, instance: str, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A group of its own per API process; it assigns partitions and stores no offsets."""
    return consumer_config(
        settings.kafka_bootstrap,
        group_names(settings).progress_view(instance),
        offsets_reset="earliest",
        auto_offset_store=False,
        partition_eof=True,
        session_timeout_ms=10_000,
        fetch_wait_max_ms=FOLLOWER_FETCH_WAIT_MS,
        overrides=overrides,
    )


class ProgressView:
    def __init__(
        self,
        settings: Settings,
        on_change: ChangeHook | None = None,
        poll_s: float = 0.2,
        **consumer_overrides: Any,
    ) -> None:
        self.topic = topic_names(settings).progress
        self._config = view_consumer_config(settings, instance_id(), consumer_overrides)
        self._on_change = on_change
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._statuses: dict[str, UploadStatus] = {}
        self._versions: dict[str, int] = {}
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        # tenant -> its followers' queues, each with the event loop it belongs to
        self._subscribers: dict[
            str, dict[asyncio.Queue[UploadStatus], asyncio.AbstractEventLoop]
        ] = {}
        self._pending: dict[int, int] = {}  # partition -> high watermark at start, until reached
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.broker_ok = False
        self.caught_up = False
        self.last_error: str | None = None
        self.skipped = 0

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self.broker_ok = self.caught_up = False
            self._thread = threading.Thread(target=self._run, name="progress-view", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        consumer: Consumer | None = None
        try:
            consumer = self._connect()
            while consumer is not None and not self._stop.is_set():
                msg = consumer.poll(self._poll_s)
                if msg is None:
                    continue
                err = msg.error()
                partition, offset = msg.partition() or 0, msg.offset() or 0
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        self._reached(partition, offset)
                    else:
                        self.last_error = err.str()
                        log.warning("progress view: %s", err.str())
                    continue
                self._reached(partition, offset + 1)
                self._ingest(msg.key(), msg.value())
        except Exception:  # the view must never die silently
            log.exception("progress view stopped")
            self.broker_ok = False
        finally:
            if consumer is not None:
                consumer.close()

    def _connect(self) -> Consumer | None:
        """Assign every partition from the beginning; retry until the broker answers."""
        while not self._stop.is_set():
            consumer = Consumer(self._config)
            try:
                meta = consumer.list_topics(self.topic, timeout=5)
                topic = meta.topics.get(self.topic)
                if topic is None or topic.error is not None or not topic.partitions:
                    raise KafkaException(f"topic {self.topic} is missing")
                pending: dict[int, int] = {}
                for p in topic.partitions:
                    low, high = consumer.get_watermark_offsets(
                        TopicPartition(self.topic, p), timeout=5
                    )
                    if high > low:
                        pending[p] = high
                with self._lock:
                    self._pending = pending
                    self.caught_up = not pending
                consumer.assign(
                    [TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in topic.partitions]
                )
                self.broker_ok = True
                self.last_error = None
                return consumer
            except KafkaException as exc:
                self.last_error = str(exc)
                log.warning("progress view cannot reach the broker yet: %s", exc)
                consumer.close()
                self._stop.wait(0.5)
        return None

    def _reached(self, partition: int, offset: int) -> None:
        with self._lock:
            high = self._pending.get(partition)
            if high is not None and offset >= high:
                del self._pending[partition]
                if not self._pending and not self.caught_up:
                    self.caught_up = True
                    log.info("progress view caught up: %d jobs", len(self._statuses))

    def _ingest(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # a tombstone: the job is forgotten
            if key is not None:
                self.forget(key.decode(errors="replace"))
            return
        try:
            status = UploadStatus.model_validate_json(value)
        except ValidationError as exc:
            self.skipped += 1
            log.warning("progress view: skipping a malformed record (key %r): %s", key, exc)
            return
        self.put(status)

    # reading and writing -------------------------------------------------------------------

    def put(self, status: UploadStatus) -> None:
        """Take a status (from the topic, or the API's own just-published one)."""
        with self._lock:
            old = self._statuses.get(status.job_id)
            if old == status or is_step_back(old, status):
                return
            self._statuses[status.job_id] = status
            self._versions[status.job_id] = self._versions.get(status.job_id, 0) + 1
            waiters = list(self._waiters.get(status.job_id, ()))
            queues = list(self._subscribers.get(status.tenant, {}).items())
        for fut in waiters:
            fut.get_loop().call_soon_threadsafe(_wake, fut)
        for queue, loop in queues:
            loop.call_soon_threadsafe(_offer, queue, status)
        if self._on_change is not None:
            try:
                self._on_change(old, status)
            except Exception:
                log.exception("progress view: change hook failed")

    def forget(self, job_id: str) -> None:
        with self._lock:
            if self._statuses.pop(job_id, None) is None:
                return
            self._versions[job_id] = self._versions.get(job_id, 0) + 1
            waiters = list(self._waiters.get(job_id, ()))
        for fut in waiters:
            fut.get_loop().call_soon_threadsafe(_wake, fut)

    def get(self, job_id: str) -> UploadStatus | None:
        with self._lock:
            return self._statuses.get(job_id)

    def snapshot(self, job_id: str) -> tuple[int, UploadStatus | None]:
        """The job's version counter and status, read together."""
        with self._lock:
            return self._versions.get(job_id, 0), self._statuses.get(job_id)

    def list(self, tenant: str, limit: int, offset: int) -> tuple[list[UploadStatus], int]:
        """One page of the tenant's jobs, newest first by submitted_at, and their total."""
        with self._lock:
            mine = [s for s in self._statuses.values() if s.tenant == tenant]
        mine.sort(key=lambda s: (s.submitted_at, s.job_id), reverse=True)
        return mine[offset : offset + limit], len(mine)

    def counts_by_state(self) -> Counter[str]:
        with self._lock:
            return Counter(s.state for s in self._statuses.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._statuses)

    async def wait_change(self, job_id: str, version: int, timeout_s: float) -> bool:
        """Wait until the job's version differs from ``version``; False on timeout."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            if self._versions.get(job_id, 0) != version:
                return True
            self._waiters.setdefault(job_id, set()).add(fut)
        try:
            await asyncio.wait_for(fut, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                waiters = self._waiters.get(job_id)
                if waiters is not None:
                    waiters.discard(fut)
                    if not waiters:
                        del self._waiters[job_id]

    def subscribe(self, tenant: str) -> asyncio.Queue[UploadStatus]:
        """A queue (of the running loop) that receives each new status of the tenant's jobs."""
        queue: asyncio.Queue[UploadStatus] = asyncio.Queue(SUBSCRIBER_QUEUE)
        loop = asyncio.get_running_loop()
        with self._lock:
            self._subscribers.setdefault(tenant, {})[queue] = loop
        return queue

    def unsubscribe(self, tenant: str, queue: asyncio.Queue[UploadStatus]) -> None:
        with self._lock:
            queues = self._subscribers.get(tenant)
            if queues is not None:
                queues.pop(queue, None)
                if not queues:
                    del self._subscribers[tenant]

    def waiting(self, job_id: str) -> int:
        """How many waiters follow the job (for tests and metrics)."""
        with self._lock:
            return len(self._waiters.get(job_id, ()))


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _offer(queue: asyncio.Queue[UploadStatus], status: UploadStatus) -> None:
    """Put without blocking: a full queue drops its oldest status for the newest."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(status)
