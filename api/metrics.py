"""Prometheus metrics of one app, in its own CollectorRegistry (tests build many apps)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from schemas.records import FINAL_STATES, UploadStatus

SIZE_BUCKETS = tuple(float(2**n) for n in range(10, 31, 2))  # 1 KiB .. 1 GiB
ALL_STATES = ("queued", "parsing", "processing", "completed", "completed_with_errors", "failed")


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.uploads = Counter(
            "uploads",
            "Uploads accepted (state=queued) and finished (final states), by tier",
            ["tier", "state"],
            registry=self.registry,
        )
        self.rows_ok = Counter("rows_ok", "Valid rows of finished jobs", registry=self.registry)
        self.rows_failed = Counter(
            "rows_failed", "Invalid rows of finished jobs", registry=self.registry
        )
        self.upload_size = Histogram(
            "upload_size_bytes",
            "Size of accepted uploads",
            buckets=SIZE_BUCKETS,
            registry=self.registry,
        )
        self.chunk_seconds = Histogram(
            "chunk_processing_seconds",
            "Time a worker took to validate and persist one chunk",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "chunk_consumer_lag",
            "Chunk records published but not yet committed by the workers, by tier",
            ["tier"],
            registry=self.registry,
        )
        self.jobs = Gauge(
            "jobs",
            "Jobs held in the status view's memory, by state",
            ["state"],
            registry=self.registry,
        )
        self.spool_bytes = Gauge(
            "spool_bytes", "Bytes in this API's spool folder", registry=self.registry
        )
        self.spool_files_released = Counter(
            "spool_files_released",
            "Spooled files let go once their job no longer needed them (at its seal, or by "
            "the sweep)",
            registry=self.registry,
        )
        self.table_rows = Gauge(
            "bookkeeping_rows",
            "Rows of each bookkeeping table (PostgreSQL: the statistics' estimate)",
            ["table"],
            registry=self.registry,
        )
        self.table_bytes = Gauge(
            "bookkeeping_bytes",
            "Bytes of each bookkeeping table with its indexes (PostgreSQL only)",
            ["table"],
            registry=self.registry,
        )
        self.database_bytes = Gauge(
            "database_bytes", "Bytes of the whole database", registry=self.registry
        )

    def accepted(self, tier: str, size_bytes: int) -> None:
        self.uploads.labels(tier=tier, state="queued").inc()
        self.upload_size.observe(size_bytes)

    def on_status(self, old: UploadStatus | None, new: UploadStatus) -> None:
        """The view's change hook: count each job once, when it is first seen final."""
        if new.state in FINAL_STATES and (old is None or old.state not in FINAL_STATES):
            self.uploads.labels(tier=new.tier, state=new.state).inc()
            self.rows_ok.inc(new.rows_ok)
            self.rows_failed.inc(new.rows_failed)

    def render(self, counts: Callable[[], dict[str, int]]) -> bytes:
        by_state = counts()
        for state in ALL_STATES:
            self.jobs.labels(state=state).set(by_state.get(state, 0))
        return generate_latest(self.registry)
