"""A thin wrapper on confluent-kafka's Producer: idempotent, compressed, bounded in flight.

The client is built lazily from settings on first use and flushed on close. Delivery
errors are collected by the delivery callback and raised at the next ``produce``, ``poll``
or ``flush``, so a lost record never goes unnoticed.

Ordering without waiting: records produced with a ``tag`` (a job) are counted until their
delivery reports come back, and ``after_delivered(tag, action)`` runs the action once every
record of the tag produced before it is acknowledged (a job's seal after its chunks, the
upload's offset commit after the seal), in the order the actions were given. Meanwhile the
caller parses the next job. A failed delivery drops the tag's actions: no seal, no commit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from messaging.clients import producer_config
from schemas.errors import BulkflowError
from schemas.settings import Settings

FLUSH_TIMEOUT_S = 60.0
WAIT_POLL_S = 0.01


class PublishError(BulkflowError):
    """Kafka refused or lost a record after retries."""


class Delivery:
    """The delivery reports of one caller's records (``produce(..., delivery=...)``), so
    that it waits for its own records only (``Publisher.wait``), not for every record in
    flight as ``flush`` does: the API's request threads share one publisher, and a small
    upload's accept must not wait for a big one's parts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending = 0
        self.messages: list[Message] = []
        self.errors: list[str] = []

    def sent(self) -> None:
        with self._lock:
            self.pending += 1

    def report(self, err: KafkaError | None, msg: Message) -> None:
        with self._lock:
            self.pending -= 1
            if err is None:
                self.messages.append(msg)
            else:
                self.errors.append(f"{msg.topic()}: {err.str()}")


class Publisher:
    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self._config = producer_config(settings, overrides, settings.publish_compression)
        self._producer: Producer | None = None
        self._errors: list[str] = []
        self._lock = threading.Lock()
        self.delivered = 0
        self._in_flight: dict[str, int] = {}  # tag -> its records not yet acknowledged
        self._actions: dict[str, deque[Callable[[], None]]] = {}  # tag -> waiting actions
        self._failed: set[str] = set()
        self._running_actions = False  # an action's own produce() must not run the next one

    @property
    def client(self) -> Producer:
        """Built on first use; threads share a publisher (the API's requests, a worker's
        handlers), so only one of them builds it."""
        if self._producer is None:
            with self._lock:
                if self._producer is None:
                    self._producer = Producer(self._config)
        return self._producer

    def _on_delivery(
        self,
        tag: str | None,
        delivered: Callable[[Message], None] | None,
        delivery: Delivery | None,
        err: KafkaError | None,
        msg: Message,
    ) -> None:
        # runs inside poll()/flush(): only bookkeeping here, the actions run after it
        if delivery is not None:  # its caller raises its errors (Publisher.wait)
            delivery.report(err, msg)
            return
        if tag is not None:
            self._in_flight[tag] -= 1
        if err is not None:
            with self._lock:
                self._errors.append(f"{msg.topic()}: {err.str()}")
            if tag is not None:
                self._failed.add(tag)
        else:
            self.delivered += 1
            if delivered is not None:
                delivered(msg)

    def after_delivered(self, tag: str, action: Callable[[], None]) -> None:
        """Run ``action`` once every record produced so far with ``tag`` is acknowledged."""
        self._actions.setdefault(tag, deque()).append(action)
        self._run_ready()

    def _run_ready(self) -> None:
        if self._running_actions:
            return
        self._running_actions = True
        try:
            self._run_ready_actions()
        finally:
            self._running_actions = False

    def _run_ready_actions(self) -> None:
        for tag in list(self._actions):
            queue = self._actions[tag]
            if tag in self._failed:
                queue.clear()
            # an action may produce more records of its tag: the next one waits for them
            while queue and not self._in_flight.get(tag):
                queue.popleft()()
            if not queue:
                del self._actions[tag]
                if not self._in_flight.get(tag):
                    self._in_flight.pop(tag, None)
                    self._failed.discard(tag)

    @property
    def waiting_actions(self) -> int:
        return sum(len(q) for q in self._actions.values())

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | str | None = None,
        headers: Sequence[tuple[str, Any]] | None = None,
        timeout_s: float = FLUSH_TIMEOUT_S,
        delivered: Callable[[Message], None] | None = None,
        tag: str | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        """Queue one record; when the local queue is full, wait for deliveries (bounded).
        ``delivered`` is called with the record (its partition and offset) once it is;
        ``delivery`` collects its report instead, for ``wait``."""
        self.raise_errors()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.client.produce(
                    topic,
                    value=value,
                    key=key,
                    headers=list(headers or []),
                    on_delivery=partial(self._on_delivery, tag, delivered, delivery),
                )
                if delivery is not None:
                    delivery.sent()
                if tag is not None:
                    self._in_flight[tag] = self._in_flight.get(tag, 0) + 1
                break
            except BufferError as exc:
                if time.monotonic() > deadline:
                    raise PublishError(
                        f"Kafka did not accept records for {timeout_s:.0f}s (queue full)"
                    ) from exc
                self.client.poll(0.05)
        self.poll(0)

    def poll(self, timeout_s: float = 0) -> None:
        self.client.poll(timeout_s)
        self._run_ready()

    def wait(self, delivery: Delivery, timeout_s: float = FLUSH_TIMEOUT_S) -> list[Message]:
        """Wait for the records produced with ``delivery``; they are durable when this
        returns (their messages, in delivery order), else PublishError."""
        deadline = time.monotonic() + timeout_s
        self.client.poll(0)
        while delivery.pending > 0:
            if time.monotonic() > deadline:
                raise PublishError(
                    f"{delivery.pending} records not delivered within {timeout_s:.0f}s"
                )
            # any thread's poll serves every report: ours may come in another's call
            self.client.poll(WAIT_POLL_S)
        if delivery.errors:
            raise PublishError(f"{len(delivery.errors)} records failed: {delivery.errors[0]}")
        return delivery.messages

    def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        """Wait for every record, and every action (and what it produces) to be done."""
        if self._producer is None:
            return
        while True:
            remaining = self._producer.flush(timeout_s)
            if remaining:
                raise PublishError(f"{remaining} records not delivered within {timeout_s:.0f}s")
            self.raise_errors()
            self._run_ready()
            if not self._actions and not len(self._producer):
                return

    def raise_errors(self) -> None:
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            raise PublishError(f"{len(errors)} records failed: {errors[0]}")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._producer = None

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif self._producer is not None:
            self._producer.flush(5)
            self._producer = None
