"""The status view: the recent part of the compacted progress topic, followed, in memory.

A background thread runs a confluent-kafka Consumer that belongs to no consumer group in
effect (a unique group id, no commits). At start it assigns every partition of the progress
topic from ``status_window_s`` back (``offsets_for_times``), not from the beginning: running
jobs publish every few seconds, and every job's status is in the database
(``bulkflow_job_status``), so start-up time and memory follow current work, not history.
The view knows it has caught up once it reached the high watermarks it saw at start.

Memory holds running jobs and the ``status_recent_jobs`` most recent finished ones; a job
asked for and not held comes from the database and is held from then on (``hold``). Async
code waits for the next change of one job with ``wait_change``, or follows every change of
a tenant's jobs through a queue from ``streams`` (api/tenant_streams.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from pydantic import ValidationError

from api.background_loop import BackgroundLoop
from api.tenant_streams import TenantStreams
from messaging.clients import FOLLOWER_FETCH_WAIT_MS, consumer_config
from messaging.names import group_names, instance_id, topic_names
from schemas.records import UploadStatus, is_step_back
from schemas.settings import Settings

log = logging.getLogger(__name__)

ChangeHook = Callable[[UploadStatus | None, UploadStatus], None]
# a running job with no news for this long leaves memory (the database has its status, and
# its next change brings it back); looked for at most once a minute
IDLE_RUNNING_S = 3600.0
PRUNE_EVERY_S = 60.0


def view_consumer_config(
    settings: Settings, instance: str, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A group of its own per API process; it assigns partitions and stores no offsets."""
    return consumer_config(
        settings,
        group_names(settings).progress_view(instance),
        offsets_reset="earliest",
        auto_offset_store=False,
        partition_eof=True,
        session_timeout_ms=10_000,
        fetch_wait_max_ms=FOLLOWER_FETCH_WAIT_MS,
        overrides=overrides,
    )


class ProgressView(BackgroundLoop):
    thread_name = "progress-view"

    def __init__(
        self,
        settings: Settings,
        on_change: ChangeHook | None = None,
        poll_s: float = 0.2,
        **consumer_overrides: Any,
    ) -> None:
        super().__init__()
        self.topic = topic_names(settings).progress
        self._config = view_consumer_config(settings, instance_id(), consumer_overrides)
        self._on_change = on_change
        self._poll_s = poll_s
        self.window_s = settings.status_window_s
        self.recent_limit = settings.status_recent_jobs
        self._lock = threading.Lock()
        # job -> (version, status); a version is the view's change counter when it changed
        self._held: dict[str, tuple[int, UploadStatus]] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()  # held finished jobs, oldest first
        self._touched: dict[str, float] = {}  # held running jobs -> last change (monotonic)
        self._clock = 0
        self._pruned_at = time.monotonic()
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self.streams = TenantStreams()  # the followers of each tenant's jobs
        self._pending: dict[int, int] = {}  # partition -> high watermark at start, until reached
        self.broker_ok = False
        self.caught_up = False
        self.last_error: str | None = None
        self.skipped = 0

    # lifecycle -----------------------------------------------------------------------------

    def _on_start(self) -> None:
        self.broker_ok = self.caught_up = False

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
        """Assign every partition from the window's start; retry until the broker answers."""
        while not self._stop.is_set():
            consumer = Consumer(self._config)
            try:
                meta = consumer.list_topics(self.topic, timeout=5)
                topic = meta.topics.get(self.topic)
                if topic is None or topic.error is not None or not topic.partitions:
                    raise KafkaException(f"topic {self.topic} is missing")
                starts = self._window_starts(consumer, list(topic.partitions))
                pending: dict[int, int] = {}
                for p, start in starts.items():
                    _, high = consumer.get_watermark_offsets(
                        TopicPartition(self.topic, p), timeout=5
                    )
                    if high > start:
                        pending[p] = high
                with self._lock:
                    self._pending = pending
                    self.caught_up = not pending
                consumer.assign([TopicPartition(self.topic, p, o) for p, o in starts.items()])
                self.broker_ok = True
                self.last_error = None
                return consumer
            except KafkaException as exc:
                self.last_error = str(exc)
                log.warning("progress view cannot reach the broker yet: %s", exc)
                consumer.close()
                self._stop.wait(0.5)
        return None

    def _window_starts(self, consumer: Consumer, partitions: list[int]) -> dict[int, int]:
        """Per partition, the first offset written within the window (the end when none is)."""
        since_ms = int((time.time() - self.window_s) * 1000)
        asked = [TopicPartition(self.topic, p, since_ms) for p in partitions]
        found = consumer.offsets_for_times(asked, timeout=5)
        starts: dict[int, int] = {}
        for tp in found:
            if tp.offset < 0:  # nothing that recent: start at the end
                tp.offset = consumer.get_watermark_offsets(tp, timeout=5)[1]
            starts[tp.partition] = tp.offset
        return starts

    def _reached(self, partition: int, offset: int) -> None:
        with self._lock:
            high = self._pending.get(partition)
            if high is not None and offset >= high:
                del self._pending[partition]
                if not self._pending and not self.caught_up:
                    self.caught_up = True
                    log.info("progress view caught up: %d jobs held", len(self._held))

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
        changed, old = self._keep(status)
        if not changed:
            return
        self.streams.offer(status)
        if self._on_change is not None:
            try:
                self._on_change(old, status)
            except Exception:
                log.exception("progress view: change hook failed")

    def hold(self, status: UploadStatus) -> None:
        """Keep a status read from the database (no change hook: nothing changed)."""
        self._keep(status)

    def _keep(self, status: UploadStatus) -> tuple[bool, UploadStatus | None]:
        """Hold ``status`` unless it is no news: whether it was held, and the status it
        replaced (None when there was none)."""
        job = status.job_id
        with self._lock:
            held = self._held.get(job)
            old = held[1] if held is not None else None
            if old == status or is_step_back(old, status):
                return False, old
            self._clock += 1
            self._held[job] = (self._clock, status)
            if status.is_final:
                self._touched.pop(job, None)
                self._finished[job] = None
                self._finished.move_to_end(job)
            else:
                self._touched[job] = time.monotonic()
            self._prune()
            waiters = list(self._waiters.get(job, ()))
        for fut in waiters:
            fut.get_loop().call_soon_threadsafe(_wake, fut)
        return True, old

    def _prune(self) -> None:
        """Under the lock: the oldest finished jobs beyond the limit leave memory, and, once a
        minute, running jobs idle for an hour; never a job someone waits on."""
        while len(self._finished) > self.recent_limit:
            job, _ = self._finished.popitem(last=False)
            if job in self._waiters:
                self._finished[job] = None  # followed: kept, looked at again later
                break
            self._held.pop(job, None)
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY_S:
            return
        self._pruned_at = now
        idle = [j for j, at in self._touched.items() if now - at > IDLE_RUNNING_S]
        for job in idle:
            if job not in self._waiters:
                del self._touched[job]
                self._held.pop(job, None)

    def forget(self, job_id: str) -> None:
        with self._lock:
            if self._held.pop(job_id, None) is None:
                return
            self._finished.pop(job_id, None)
            self._touched.pop(job_id, None)
            waiters = list(self._waiters.get(job_id, ()))
        for fut in waiters:
            fut.get_loop().call_soon_threadsafe(_wake, fut)

    def get(self, job_id: str) -> UploadStatus | None:
        with self._lock:
            held = self._held.get(job_id)
        return None if held is None else held[1]

    def snapshot(self, job_id: str) -> tuple[int, UploadStatus | None]:
        """The job's version and status, read together (0 and None when not held)."""
        with self._lock:
            return self._held.get(job_id, (0, None))

    def counts_by_state(self) -> Counter[str]:
        """The jobs held in memory, by state."""
        with self._lock:
            return Counter(s.state for _, s in self._held.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)

    async def wait_change(self, job_id: str, version: int, timeout_s: float) -> bool:
        """Wait until the job's version differs from ``version``; False on timeout."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            if self._held.get(job_id, (0, None))[0] != version:
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

    def waiting(self, job_id: str) -> int:
        """How many waiters follow the job (for tests and metrics)."""
        with self._lock:
            return len(self._waiters.get(job_id, ()))


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
