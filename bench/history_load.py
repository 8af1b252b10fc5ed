"""A history of finished jobs for ``python -m bench history``, written straight where the
pipeline would have left it: each job's final status on the compacted progress topic (with
its time of a year back, as the aggregator would have stamped it) and its row in
``bulkflow_job_status`` (PostgreSQL by COPY, SQLite by one executemany).

The statuses are built as JSON text directly (a million pydantic models would take longer
than the writes); one of them is checked against the models before anything is written.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

YEAR_S = 365 * 86400
STATES = ("completed",) * 8 + ("completed_with_errors",) * 3 + ("failed",)


@dataclass(frozen=True)
class PastJob:
    job_id: str
    tenant: str
    submitted_at: datetime
    finished_at: datetime
    state: str
    status_json: str
    progress_json: str


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def past_jobs(count: int, tenants: int, seed: int = 26) -> Iterator[PastJob]:
    """``count`` finished jobs spread over the last year, oldest first."""
    rng = random.Random(seed)
    now = datetime.now(UTC) - timedelta(hours=1)
    start = now - timedelta(seconds=YEAR_S)
    step = YEAR_S / max(count, 1)
    for i in range(count):
        submitted = start + timedelta(seconds=i * step)
        finished = submitted + timedelta(seconds=rng.uniform(2, 60))
        state = STATES[i % len(STATES)]
        rows = rng.randint(100, 20_000)
        failed = 0 if state == "completed" else (rows if state == "failed" else rows // 50)
        chunks = max(1, rows // 10_000 + 1)
        job_id = f"{i:08d}{rng.getrandbits(96):024x}"
        tenant = f"tenant{i % tenants}"
        error = "the file could not be read" if state == "failed" else None
        status: dict[str, Any] = {
            "job_id": job_id,
            "tenant": tenant,
            "dataset": "orders",
            "filename": f"orders-{i}.xlsx",
            "tier": "low" if rows > 5000 else "medium" if rows > 1000 else "high",
            "state": state,
            "rows_total": rows,
            "rows_ok": rows - failed,
            "rows_failed": failed,
            "chunks_total": chunks,
            "chunks_done": chunks,
            "percent": 100.0,
            "rows_per_second": 25_000.0,
            "eta_seconds": 0.0,
            "submitted_at": _iso(submitted),
            "started_at": _iso(submitted + timedelta(seconds=1)),
            "finished_at": _iso(finished),
            "error": error,
            "unknown_columns": [],
        }
        progress = {
            "job_id": job_id,
            "tenant": tenant,
            "dataset": "orders",
            "filename": status["filename"],
            "tier": status["tier"],
            "submitted_at": status["submitted_at"],
            "registered_at": status["started_at"],
            "sealed_at": status["finished_at"],
            "total_chunks": chunks,
            "total_rows": rows,
            "chunks": list(range(chunks)),
            "rows_ok": rows - failed,
            "rows_failed": failed,
            "first_chunk_at": status["started_at"],
            "last_chunk_at": status["finished_at"],
        }
        yield PastJob(
            job_id,
            tenant,
            submitted,
            finished,
            state,
            json.dumps(status, separators=(",", ":")),
            json.dumps(progress, separators=(",", ":")),
        )


def check_shape() -> None:
    """The generated JSON is what the models read (so the API can answer with it)."""
    from schemas.records import UploadStatus

    job = next(past_jobs(1, 1))
    UploadStatus.model_validate_json(job.status_json)


def write_topic(bootstrap: str, topic: str, jobs: Iterable[PastJob]) -> float:
    """Produce every job's final status, stamped with its finish time; seconds taken."""
    from confluent_kafka import Producer

    from messaging.clients import producer_config
    from schemas.settings import load_settings

    started = time.monotonic()
    settings = load_settings(kafka_bootstrap=bootstrap)
    producer = Producer(producer_config(settings, {"linger.ms": 50, "batch.size": 1_000_000}))
    for n, job in enumerate(jobs):
        while True:
            try:
                producer.produce(
                    topic,
                    job.status_json.encode(),
                    job.job_id.encode(),
                    timestamp=int(job.finished_at.timestamp() * 1000),
                )
                break
            except BufferError:
                producer.poll(0.05)
        if n % 10_000 == 0:
            producer.poll(0)
    left = producer.flush(300)
    if left:
        raise RuntimeError(f"{left} status records not delivered")
    return time.monotonic() - started


def _rows(jobs: Iterable[PastJob]) -> Iterator[tuple[Any, ...]]:
    for j in jobs:
        yield (
            j.job_id,
            j.tenant,
            "orders",
            j.submitted_at,
            j.state,
            j.finished_at,
            j.finished_at,
            j.status_json,
            j.progress_json,
        )


COLUMNS = (
    "job_id",
    "tenant",
    "dataset",
    "submitted_at",
    "state",
    "finished_at",
    "updated_at",
    "status",
    "progress",
)


def write_database(url: str, jobs: Iterable[PastJob]) -> float:
    """Insert every job's row into bulkflow_job_status (made by this tree's schema)."""
    from database.engine import make_engine
    from database.migrations import ensure_schema

    started = time.monotonic()
    engine = make_engine(url)
    ensure_schema(engine)
    names = ", ".join(COLUMNS)
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                with cursor.copy(f"COPY bulkflow_job_status ({names}) FROM STDIN") as copy:
                    for row in _rows(jobs):
                        copy.write_row(row)
                conn.exec_driver_sql("ANALYZE bulkflow_job_status")
        else:
            marks = ", ".join("?" * len(COLUMNS))
            sql = f"INSERT INTO bulkflow_job_status ({names}) VALUES ({marks})"
            stamp = "%Y-%m-%d %H:%M:%S.%f"
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    sql,
                    [
                        (
                            *r[:3],
                            r[3].strftime(stamp),
                            r[4],
                            r[5].strftime(stamp),
                            r[6].strftime(stamp),
                            *r[7:],
                        )
                        for r in _rows(jobs)
                    ],
                )
    finally:
        engine.dispose()
    return time.monotonic() - started
