"""The progress aggregator alone, fed bursts of job events and chunk results directly."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from database.engine import make_engine
from database.migrations import ensure_schema
from database.tables import ledger
from messaging.names import group_names, topic_names
from messaging.publisher import Publisher
from schemas.records import ChunkResult, JobEvent, UploadStatus, utcnow
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.support.kafka_read import final_statuses, read_topic

JOBS = 80
CHUNKS = 4
ROWS_OK = sum(90 + c for c in range(CHUNKS))  # each chunk: 90 + chunk_no rows ok, 1 failed
WAVE = 10  # jobs a wave; the waves overlap the aggregator's batches (0.1 s)


def job_event(job_id: str, kind: str, submitted_at: datetime, **extra: Any) -> bytes:
    """A job event as the producer publishes it on ``jobs``."""
    event = JobEvent(
        job_id=job_id,
        kind=kind,  # type: ignore[arg-type]
        tenant="acme",
        dataset="orders",
        filename=f"{job_id}.csv",
        tier="low",
        submitted_at=submitted_at,
        **extra,
    )
    return event.model_dump_json().encode()


def chunk_result(job_id: str, chunk_no: int, ok: int, failed: int, **extra: Any) -> bytes:
    """A chunk's result as a worker publishes it on ``chunk-results``."""
    result = ChunkResult(job_id=job_id, chunk_no=chunk_no, rows_ok=ok, rows_failed=failed, **extra)
    return result.model_dump_json().encode()


def test_bursts_of_records_are_all_counted_exactly_once(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    names = topic_names(kafka_settings)
    now = utcnow()
    jobs = [f"burst-{i:03d}" for i in range(JOBS)]

    supervisor = start_pipeline(kafka_settings, tmp_path / "logs", "aggregator")
    try:
        with Publisher(kafka_settings) as publisher:
            for start in range(0, JOBS, WAVE):
                for job_id in jobs[start : start + WAVE]:
                    publisher.produce(names.jobs, job_event(job_id, "registered", now), job_id)
                    for chunk in [0, *range(CHUNKS), 0]:
                        publisher.produce(
                            names.chunk_results,
                            chunk_result(job_id, chunk, 90 + chunk, 1, duration_ms=5.0),
                            job_id,
                        )
                    publisher.produce(
                        names.jobs,
                        job_event(
                            job_id, "sealed", now, total_chunks=CHUNKS, total_rows=ROWS_OK + CHUNKS
                        ),
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


def test_a_redrive_of_a_job_the_aggregator_let_go_is_counted_exactly_once(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = kafka_settings.model_copy(update={"finished_job_grace_s": 0.0})
    names = topic_names(settings)
    job_id = "let-go-1"
    now = utcnow()

    changelog = f"{group_names(settings).aggregator}-job-progress-changelog"
    supervisor = start_pipeline(settings, tmp_path / "logs", "aggregator")
    try:
        with Publisher(settings) as publisher:
            publisher.produce(names.jobs, job_event(job_id, "registered", now), job_id)
            publisher.produce(names.chunk_results, chunk_result(job_id, 0, 100, 0), job_id)
            publisher.produce(
                names.chunk_results, chunk_result(job_id, 1, 0, 100, dead_lettered=True), job_id
            )
            publisher.produce(
                names.jobs, job_event(job_id, "sealed", now, total_chunks=2, total_rows=200), job_id
            )
        first = final_statuses(settings, [job_id])[job_id]
        assert (first.state, first.rows_ok, first.rows_failed) == (
            "completed_with_errors",
            100,
            100,
        )
        # the finished job leaves the aggregator's table: a tombstone on its changelog (faust
        # writes the key as JSON)
        key = json.dumps(job_id).encode()

        def let_go(messages: list) -> bool:  # type: ignore[type-arg]
            return any(m.key() == key and m.value() is None for m in messages)

        assert let_go(read_topic(settings, changelog, until=let_go, timeout_s=60))
        with Publisher(settings) as publisher:  # the redrive, and a late duplicate
            publisher.produce(names.chunk_results, chunk_result(job_id, 1, 100, 0), job_id)
            publisher.produce(names.chunk_results, chunk_result(job_id, 0, 100, 0), job_id)

        def redriven(messages: list) -> bool:  # type: ignore[type-arg]
            states = [UploadStatus.model_validate_json(m.value()) for m in messages]
            return any(s.job_id == job_id and s.state == "completed" for s in states)

        got = read_topic(settings, names.progress, until=redriven, timeout_s=60)
    finally:
        supervisor.stop()
    last = [UploadStatus.model_validate_json(m.value()) for m in got][-1]
    assert (last.state, last.rows_ok, last.rows_failed, last.chunks_done) == (
        "completed",
        200,
        0,
        2,
    )
    assert last.error is None


def test_a_chunk_result_that_never_arrives_is_counted_from_the_ledger(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    # chunk 1 was written (its ledger row) but its result never reached chunk-results: the
    # job would wait for ever; the aggregator counts it from the ledger once it waited
    settings = kafka_settings.model_copy(update={"stalled_job_after_s": 2.0})
    names = topic_names(settings)
    job_id = "late-1"
    now = utcnow()
    engine = make_engine(settings.db_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(
            ledger.insert(),
            [
                {"job_id": job_id, "chunk_no": n, "rows_ok": ok, "rows_failed": failed}
                | {"processed_at": now, "rows_repeated": repeated}
                for n, ok, failed, repeated in ((0, 100, 0, 0), (1, 98, 2, 1))
            ],
        )
    engine.dispose()
    supervisor = start_pipeline(settings, tmp_path / "logs", "aggregator")
    try:
        with Publisher(settings) as publisher:
            publisher.produce(names.jobs, job_event(job_id, "registered", now), job_id)
            publisher.produce(names.chunk_results, chunk_result(job_id, 0, 100, 0), job_id)
            sealed = job_event(job_id, "sealed", now, total_chunks=2, total_rows=200)
            publisher.produce(names.jobs, sealed, job_id)
        status = final_statuses(settings, [job_id], timeout_s=60)[job_id]
    finally:
        supervisor.stop()
    assert (status.state, status.rows_ok, status.rows_failed, status.chunks_done) == (
        "completed_with_errors",
        198,
        2,
        2,
    )
    assert status.warning is not None and "1 row was replaced" in status.warning
    said = (tmp_path / "logs" / "aggregator.log").read_text()
    assert "no result arrived for chunks [1], which the ledger holds" in said
