"""Pipeline figures for /metrics that the status view does not carry: chunk processing time
(followed live on ``chunk-results``) and the chunk topics' consumer lag (asked on scrape)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from confluent_kafka import Consumer
from pydantic import ValidationError

from api.metrics import ApiMetrics
from messaging.chunk_lag import ChunkLagProbe
from messaging.clients import FOLLOWER_FETCH_WAIT_MS, consumer_config
from messaging.consume import consume_ready
from messaging.names import group_names, instance_id, topic_names
from schemas.records import ChunkResult
from schemas.settings import TIERS, Settings

log = logging.getLogger(__name__)


def stats_consumer_config(settings: Settings, instance: str) -> dict[str, Any]:
    """Follows new chunk results only, in a group of its own: every API process sees all."""
    return consumer_config(
        settings,
        group_names(settings).api_stats(instance),
        offsets_reset="latest",
        fetch_wait_max_ms=FOLLOWER_FETCH_WAIT_MS,
    )


class PipelineStats:
    def __init__(self, settings: Settings, metrics: ApiMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lag: ChunkLagProbe | None = None
        self._lag_lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="chunk-stats", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        with self._lag_lock:
            if self._lag is not None:
                self._lag.close()

    def _follow(self) -> None:
        try:
            consumer = Consumer(stats_consumer_config(self.settings, instance_id()))
            consumer.subscribe([topic_names(self.settings).chunk_results])
        except Exception as exc:  # metrics must never take the API down
            log.warning("chunk stats disabled: %s", exc)
            return
        try:
            while not self._stop.is_set():
                for msg in consume_ready(consumer, 500, 0.5):
                    if msg.error() is None:
                        self._observe(msg.value())
        finally:
            consumer.close()

    def _observe(self, value: bytes | None) -> None:
        try:
            result = ChunkResult.model_validate_json(value or b"")
        except ValidationError:
            return
        self.metrics.chunk_seconds.observe(result.duration_ms / 1000)

    def refresh_lag(self) -> None:
        """Blocking (a few Kafka round trips, cached): call it from a thread."""
        with self._lag_lock:
            if self._lag is None:
                self._lag = ChunkLagProbe(self.settings)
            for tier in TIERS:
                self.metrics.consumer_lag.labels(tier=tier).set(self._lag.lag(tier))
