"""The progress aggregator alone, fed bursts of job events and chunk results directly."""

from __future__ import annotations

import time
from pathlib import Path

from messaging.names import topic_names
from messaging.publisher import Publisher
from schemas.records import ChunkResult, JobEvent, utcnow
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.support.kafka_read import final_statuses

JOBS = 80
CHUNKS = 4
ROWS_OK = sum(90 + c for c in range(CHUNKS))  # each chunk: 90 + chunk_no rows ok, 1 failed
WAVE = 10  # jobs a wave; the waves overlap the aggregator's batches (0.1 s)


def test_bursts_of_records_are_all_counted_exactly_once(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    names = topic_names(kafka_settings)
    now = utcnow()
    jobs = [f"burst-{i:03d}" for i in range(JOBS)]

    def event(job_id: str, kind: str, **extra: object) -> bytes:
        return (
            JobEvent(
                job_id=job_id,
                kind=kind,
                tenant="acme",
                dataset="orders",  # type: ignore[arg-type]
                filename=f"{job_id}.csv",
                tier="low",
                submitted_at=now,
                **extra,
            )
            .model_dump_json()
            .encode()
        )  # type: ignore[arg-type]

    def result(job_id: str, chunk: int) -> bytes:
        # chunk 0 twice: a redelivery must not count again
        return (
            ChunkResult(
                job_id=job_id, chunk_no=chunk, rows_ok=90 + chunk, rows_failed=1, duration_ms=5.0
            )
            .model_dump_json()
            .encode()
        )

    supervisor = start_pipeline(kafka_settings, tmp_path / "logs", "aggregator")
    try:
        with Publisher(kafka_settings) as publisher:
            for start in range(0, JOBS, WAVE):
                for job_id in jobs[start : start + WAVE]:
                    publisher.produce(names.jobs, event(job_id, "registered"), job_id)
                    for chunk in [0, *range(CHUNKS), 0]:
                        publisher.produce(names.chunk_results, result(job_id, chunk), job_id)
                    publisher.produce(
                        names.jobs,
                        event(job_id, "sealed", total_chunks=CHUNKS, total_rows=ROWS_OK + CHUNKS),
                        job_id,
                    )
                publisher.flush()
                time.sleep(0.07)
        statuses = final_statuses(kafka_settings, jobs, timeout_s=120)
    finally:
        supervisor.stop()

    wrong = {
        j: (s.state, s.rows_ok, s.rows_failed, s.chunks_done)
        for j, s in statuses.items()
        if (s.state, s.rows_ok, s.rows_failed, s.chunks_done)
        != ("completed_with_errors", ROWS_OK, CHUNKS, CHUNKS)
    }
    assert wrong == {}
