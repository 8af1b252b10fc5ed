"""A thin wrapper on confluent-kafka's Producer: idempotent, compressed, bounded in flight.

The client is built lazily from settings on first use and flushed on close. Delivery
errors are collected by the delivery callback and raised at the next ``flush``, so a lost
record never goes unnoticed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from messaging.clients import producer_config
from producer.errors import PublishError
from schemas.settings import Settings

FLUSH_TIMEOUT_S = 60.0


class Publisher:
    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self._config = producer_config(settings.kafka_bootstrap, overrides)
        self._producer: Producer | None = None
        self._errors: list[str] = []
        self._lock = threading.Lock()
        self.delivered = 0

    @property
    def client(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(self._config)
        return self._producer

    def _on_delivery(
        self,
        delivered: Callable[[Message], None] | None,
        err: KafkaError | None,
        msg: Message,
    ) -> None:
        if err is not None:
            with self._lock:
                self._errors.append(f"{msg.topic()}: {err.str()}")
        else:
            self.delivered += 1
            if delivered is not None:
                delivered(msg)

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | str | None = None,
        headers: Sequence[tuple[str, Any]] | None = None,
        timeout_s: float = FLUSH_TIMEOUT_S,
        delivered: Callable[[Message], None] | None = None,
    ) -> None:
        """Queue one record; when the local queue is full, wait for deliveries (bounded).
        ``delivered`` is called with the record (its partition and offset) once it is."""
        self.raise_errors()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.client.produce(
                    topic,
                    value=value,
                    key=key,
                    headers=list(headers or []),
                    on_delivery=partial(self._on_delivery, delivered),
                )
                break
            except BufferError as exc:
                if time.monotonic() > deadline:
                    raise PublishError(
                        f"Kafka did not accept records for {timeout_s:.0f}s (queue full)"
                    ) from exc
                self.client.poll(0.05)
        self.client.poll(0)

    def poll(self, timeout_s: float = 0) -> None:
        self.client.poll(timeout_s)

    def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        if self._producer is None:
            return
        remaining = self._producer.flush(timeout_s)
        if remaining:
            raise PublishError(f"{remaining} records not delivered within {timeout_s:.0f}s")
        self.raise_errors()

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
