"""A worker's results records, sent through librdkafka rather than faust's producer.

A results record is a chunk's valid rows as Arrow IPC, about 0.9 MB for 10,000 rows of the
orders dataset. aiokafka (under faust) builds its produce request in Python, copying such a
record several times: 1.55-1.66 ms of CPU per record against 0.30-0.32 through
confluent-kafka, whose copies and checksums run in C, off the event loop
(docs/decisions.md). The records are sent from the handler's thread and waited for there,
so they are durable before the chunk's result goes out and its offset can be committed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from confluent_kafka import KafkaError, Message, Producer

from messaging.clients import producer_config
from schemas.settings import Settings
from stream_processors.errors import ResultsNotSent
from stream_processors.result_records import ResultRecord

SEND_TIMEOUT_S = 120.0
POLL_S = 0.05


class _Pending:
    """The delivery reports of one call's records."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.errors: list[str] = []
        self.done = threading.Event()
        self._lock = threading.Lock()
        if count == 0:
            self.done.set()

    def report(self, err: KafkaError | None, msg: Message) -> None:
        with self._lock:
            if err is not None:
                self.errors.append(f"{msg.topic()}: {err.str()}")
            self.count -= 1
            if self.count == 0:
                self.done.set()


class ResultSender:
    """One librdkafka producer per worker process, shared by its handler threads."""

    def __init__(self, settings: Settings) -> None:
        self._config = producer_config(
            settings.kafka_bootstrap, compression=settings.stream_compression
        )
        self._client: Producer | None = None
        self._lock = threading.Lock()

    @property
    def _producer(self) -> Producer:
        """Made at the first send: building the worker app connects to nothing."""
        with self._lock:
            if self._client is None:
                self._client = Producer(self._config)
            return self._client

    def send(
        self, topic: str, records: Sequence[ResultRecord], timeout_s: float = SEND_TIMEOUT_S
    ) -> None:
        """Send ``records`` to ``topic`` and wait until the broker has them all (acks=all);
        raises ResultsNotSent otherwise."""
        pending = _Pending(len(records))
        deadline = time.monotonic() + timeout_s
        for record in records:
            while True:
                try:
                    self._producer.produce(
                        topic,
                        value=record.value,
                        key=record.key,
                        headers=list(record.headers),
                        on_delivery=pending.report,
                    )
                    break
                except BufferError as exc:  # the local queue is full: let reports drain it
                    if time.monotonic() > deadline:
                        raise ResultsNotSent(f"{topic}: the local queue stayed full") from exc
                    self._producer.poll(POLL_S)
        # any thread's poll serves every thread's reports; each waits for its own
        while not pending.done.is_set():
            if time.monotonic() > deadline:
                raise ResultsNotSent(f"{topic}: {pending.count} records not delivered in time")
            self._producer.poll(POLL_S)
        if pending.errors:
            raise ResultsNotSent(f"{len(pending.errors)} records failed: {pending.errors[0]}")

    def close(self, timeout_s: float = 10.0) -> None:
        if self._client is not None:
            self._client.flush(timeout_s)
