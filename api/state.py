"""What one app holds: settings, the progress view, the spool's keeper, the paused uploads'
expiry, a lazily-built publisher and engine."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from api.idempotency import IdempotencyStore
from api.mapping_expiry import MappingExpiry
from api.metrics import ApiMetrics
from api.pipeline_stats import PipelineStats
from api.progress_view import ProgressView
from api.spool_keeper import SpoolKeeper
from database.engine import make_engine
from database.job_statuses import ended_jobs
from database.migrations import ensure_schema
from database.retention import bookkeeping_sizes
from messaging.names import SPOOL_SIDE_FILES_S
from messaging.publisher import Publisher
from schemas.dataset import DatasetRegistry
from schemas.records import UploadStatus
from schemas.settings import Settings

SIZES_EVERY_S = 60.0


class AppState:
    def __init__(self, settings: Settings, keepalive_s: float = 15.0) -> None:
        self.settings = settings
        self.keys = settings.api_key_map()
        self.registry = DatasetRegistry(settings.datasets_dir)
        self.metrics = ApiMetrics()
        self.spool = SpoolKeeper(
            settings,
            lambda jobs: ended_jobs(self.engine(), jobs),
            SPOOL_SIDE_FILES_S,
            on_release=self.metrics.spool_files_released.inc,
        )
        self.view = ProgressView(settings, on_change=self.on_status)
        self.stats = PipelineStats(settings, self.metrics)
        self.keepalive_s = keepalive_s
        self._lock = threading.Lock()
        self._publisher: Publisher | None = None
        self._engine: Engine | None = None
        self._idempotency: IdempotencyStore | None = None
        self._sizes_at = -SIZES_EVERY_S
        self.expiry = MappingExpiry(settings, self.engine, self.publisher)

    def on_status(self, old: UploadStatus | None, new: UploadStatus) -> None:
        """The view's change hook: the metrics count the job, the spool lets its file go."""
        self.metrics.on_status(old, new)
        self.spool.on_status(old, new)

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

    def refresh_sizes(self) -> None:
        """Blocking: the spool's and the bookkeeping tables' sizes for /metrics, read again
        at most every SIZES_EVERY_S (counting big tables is not free)."""
        now = time.monotonic()
        with self._lock:
            if now - self._sizes_at < SIZES_EVERY_S:
                return
            self._sizes_at = now
        self.metrics.spool_bytes.set(self.spool.size())
        tables, total = bookkeeping_sizes(self.engine())
        for table in tables:
            self.metrics.table_rows.labels(table=table.table).set(table.rows)
            if table.bytes is not None:
                self.metrics.table_bytes.labels(table=table.table).set(table.bytes)
        if total is not None:
            self.metrics.database_bytes.set(total)

    def start(self) -> None:
        self.view.start()
        self.stats.start()
        self.spool.start()
        self.expiry.start()

    def stop(self) -> None:
        """Blocking: stops the view, flushes the publisher, disposes of the engine."""
        self.expiry.stop()
        self.view.stop()
        self.stats.stop()
        self.spool.stop()
        with self._lock:
            publisher, self._publisher = self._publisher, None
            engine, self._engine = self._engine, None
        try:
            if publisher is not None:
                publisher.close()
        finally:
            if engine is not None:
                engine.dispose()
