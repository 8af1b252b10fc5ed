"""What one app holds: settings, the progress view, a lazily-built publisher and engine."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from api.idempotency import IdempotencyStore
from api.mapping_expiry import MappingExpiry
from api.metrics import ApiMetrics
from api.pipeline_stats import PipelineStats
from api.progress_view import ProgressView
from database.engine import make_engine
from database.migrations import ensure_schema
from messaging.publisher import Publisher
from schemas.dataset import DatasetRegistry
from schemas.settings import Settings


class AppState:
    def __init__(self, settings: Settings, keepalive_s: float = 15.0) -> None:
        self.settings = settings
        self.keys = settings.api_key_map()
        self.registry = DatasetRegistry(settings.datasets_dir)
        self.metrics = ApiMetrics()
        self.view = ProgressView(settings, on_change=self.metrics.on_status)
        self.stats = PipelineStats(settings, self.metrics)
        self.keepalive_s = keepalive_s
        self._lock = threading.Lock()
        self._publisher: Publisher | None = None
        self._engine: Engine | None = None
        self._idempotency: IdempotencyStore | None = None
        self.expiry = MappingExpiry(settings, self.engine, self.publisher)

    def publisher(self) -> Publisher:
        """Built on first use (thread-safe: uploads run in worker threads)."""
        with self._lock:
            if self._publisher is None:
                publisher = Publisher(self.settings)
                publisher.client  # noqa: B018 - build the client under the lock
                self._publisher = publisher
            return self._publisher

    def engine(self) -> Engine:
        """Blocking on first use (creates the shared tables): call it from a thread."""
        with self._lock:
            if self._engine is None:
                engine = make_engine(self.settings.db_url)
                ensure_schema(engine)
                self._engine = engine
            return self._engine

    def idempotency(self) -> IdempotencyStore:
        engine = self.engine()
        with self._lock:
            if self._idempotency is None:
                self._idempotency = IdempotencyStore(engine, self.settings.idempotency_ttl_s)
            return self._idempotency

    def start(self) -> None:
        self.view.start()
        self.stats.start()
        self.expiry.start()

    def stop(self) -> None:
        """Blocking: stops the view, flushes the publisher, disposes of the engine."""
        self.expiry.stop()
        self.view.stop()
        self.stats.stop()
        with self._lock:
            publisher, self._publisher = self._publisher, None
            engine, self._engine = self._engine, None
        try:
            if publisher is not None:
                publisher.close()
        finally:
            if engine is not None:
                engine.dispose()
