"""The progress fold: at-least-once input, out-of-order arrival, and what a user sees."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.records import ChunkResult, JobEvent
from stream_processors.job_status import to_status
from stream_processors.progress import (
    JobProgress,
    apply_chunk_result,
    apply_job_event,
    fold_batch,
    is_publishable,
)
from stream_processors.progress_publisher import job_outcome_event, should_publish

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
JOB = "job-1"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(kind: str, second: float = 0, **extra: Any) -> JobEvent:
    return JobEvent(
        job_id=JOB,
        kind=kind,  # type: ignore[arg-type]
        tenant="acme",
        dataset="orders",
        filename="orders.csv",
        tier="medium",
        submitted_at=T0 - timedelta(seconds=5),
        at=at(second),
        **extra,
    )


def chunk(no: int, ok: int = 1000, failed: int = 0, second: float = 1, **extra: Any) -> ChunkResult:
    return ChunkResult(
        job_id=JOB, chunk_no=no, rows_ok=ok, rows_failed=failed, at=at(second), **extra
    )


def fold(records: Iterable[JobEvent | ChunkResult]) -> JobProgress:
    p: JobProgress | None = None
    for record in records:
        if isinstance(record, JobEvent):
            p = apply_job_event(p, record)
        else:
            p = apply_chunk_result(p, record)
    assert p is not None
    return p


def test_registered_job_is_parsing() -> None:
    status = to_status(fold([event("registered")]), now=at(1))
    assert status.state == "parsing"
    assert (status.tenant, status.dataset, status.filename, status.tier) == (
        "acme",
        "orders",
        "orders.csv",
        "medium",
    )
    assert status.submitted_at == T0 - timedelta(seconds=5)
    assert status.started_at == T0
    assert (status.percent, status.chunks_done, status.rows_total) == (0.0, 0, None)
    assert status.finished_at is None
    assert job_outcome_event(fold([event("registered")])) is None


def test_chunks_before_sealing_are_processing() -> None:
    p = fold([event("registered"), chunk(0, second=2), chunk(1, ok=997, failed=3, second=4)])
    status = to_status(p, now=at(4))
    assert status.state == "processing"
    assert (status.rows_ok, status.rows_failed, status.chunks_done) == (1997, 3, 2)
    assert status.chunks_total is None and status.percent == 0.0


def test_happy_path_completes() -> None:
    records = [event("registered")]
    records += [chunk(n, second=n + 1) for n in range(4)]
    records += [event("sealed", second=3.5, total_chunks=4, total_rows=4000)]
    p = fold(records)
    status = to_status(p, now=at(10))
    assert status.state == "completed"
    assert (status.rows_ok, status.rows_failed, status.rows_total) == (4000, 0, 4000)
    assert (status.chunks_done, status.chunks_total, status.percent) == (4, 4, 100.0)
    assert status.finished_at == at(4)  # the last chunk, not the time we looked
    assert status.error is None
    outcome = job_outcome_event(p)
    assert outcome is not None
    assert (outcome.type, outcome.state, outcome.rows_ok, outcome.at) == (
        "job.completed",
        "completed",
        4000,
        at(4),
    )


def test_duplicate_chunk_results_are_counted_once() -> None:
    p = fold([event("registered"), chunk(0), chunk(0), chunk(1), chunk(0)])
    assert (p.rows_ok, len(p.chunks)) == (2000, 2)
    again = apply_chunk_result(p, chunk(1))
    assert again.rows_ok == 2000


def test_sealed_before_all_chunks_is_processing_with_percent_and_eta() -> None:
    p = fold(
        [
            event("registered"),
            event("sealed", second=1, total_chunks=4, total_rows=4000),
            chunk(0, second=2, duration_ms=1000),  # the first chunk started at 1 s
            chunk(1, second=3),
        ]
    )
    status = to_status(p, now=at(3))
    assert status.state == "processing"
    assert status.percent == 50.0
    assert status.rows_per_second == 1000.0  # 2000 rows in the 2 s since the first chunk began
    assert status.eta_seconds == 2.0  # 2000 rows to go at 1000 rows/s
    assert status.finished_at is None


def test_sealed_after_the_last_chunk_completes() -> None:
    p = fold([event("registered"), chunk(0, second=1), chunk(1, second=2)])
    assert to_status(p, now=at(2)).state == "processing"
    p = apply_job_event(p, event("sealed", second=3, total_chunks=2, total_rows=2000))
    status = to_status(p, now=at(4))
    assert status.state == "completed"
    assert status.finished_at == at(3)
    assert status.percent == 100.0


def test_chunks_before_any_job_event_wait_for_identity() -> None:
    p = fold([chunk(1, second=2), chunk(0, second=1)])
    assert not is_publishable(p)
    assert job_outcome_event(p) is None
    with pytest.raises(ValueError):
        to_status(p, now=at(2))
    p = apply_job_event(p, event("registered"))
    assert is_publishable(p)
    assert to_status(p, now=at(2)).rows_ok == 2000
    p = apply_job_event(p, event("sealed", second=3, total_chunks=2, total_rows=2000))
    assert to_status(p, now=at(3)).state == "completed"


def test_rows_failed_gives_completed_with_errors() -> None:
    p = fold([event("registered"), chunk(0, ok=990, failed=10), event("sealed", total_chunks=1)])
    status = to_status(p, now=at(5))
    assert (status.state, status.rows_ok, status.rows_failed) == ("completed_with_errors", 990, 10)
    outcome = job_outcome_event(p)
    assert outcome is not None and outcome.type == "job.completed"
    assert outcome.state == "completed_with_errors"


def test_parse_failed_job() -> None:
    reason = "the file has no column for the required order_id"
    p = fold([event("registered"), event("parse_failed", second=1, reason=reason)])
    status = to_status(p, now=at(2))
    assert (status.state, status.error, status.finished_at) == ("failed", reason, at(1))
    outcome = job_outcome_event(p)
    assert outcome is not None
    assert (outcome.type, outcome.state, outcome.error) == ("job.failed", "failed", reason)


def test_parse_failure_midway_keeps_counted_rows() -> None:
    p = fold([event("registered"), chunk(0), event("parse_failed", second=2, reason="bad zip")])
    status = to_status(p, now=at(3))
    assert (status.state, status.rows_ok, status.error) == ("failed", 1000, "bad zip")


def test_header_only_file_completes_with_zero_rows() -> None:
    p = fold([event("registered"), event("sealed", second=1, total_chunks=0, total_rows=0)])
    status = to_status(p, now=at(2))
    assert (status.state, status.rows_total, status.rows_ok, status.percent) == (
        "completed",
        0,
        0,
        100.0,
    )
    assert status.finished_at == at(1)
    assert job_outcome_event(p) is not None


def test_dead_lettered_chunk() -> None:
    dead = chunk(1, ok=0, failed=0, dead_lettered=True, reason="not an Arrow batch")
    p = fold([event("registered"), chunk(0), dead, event("sealed", total_chunks=2)])
    status = to_status(p, now=at(3))
    assert status.state == "completed_with_errors"
    assert status.chunks_done == 2
    assert status.error == "1 chunk could not be processed: not an Arrow batch"


def test_every_chunk_dead_lettered_fails_the_job() -> None:
    dead = [chunk(n, ok=0, failed=1000, dead_lettered=True, reason="boom") for n in range(2)]
    p = fold([event("registered"), *dead, event("sealed", total_chunks=2)])
    status = to_status(p, now=at(3))
    assert status.state == "failed"
    assert status.error == "no chunk of the file could be processed: boom"
    outcome = job_outcome_event(p)
    assert outcome is not None and outcome.type == "job.failed"


def test_redriven_chunk_replaces_its_dead_letter() -> None:
    dead = chunk(1, ok=0, failed=1000, dead_lettered=True, reason="db down")
    p = fold([event("registered"), chunk(0), dead, event("sealed", total_chunks=2)])
    assert to_status(p, now=at(3)).state == "completed_with_errors"
    p = apply_chunk_result(p, chunk(1, second=9))
    status = to_status(p, now=at(10))
    assert (status.state, status.rows_ok, status.rows_failed) == ("completed", 2000, 0)
    assert apply_chunk_result(p, dead).rows_failed == 0  # a late duplicate of the dead letter


def test_rate_and_eta_by_chunks_without_row_total() -> None:
    p = fold(
        [
            event("registered"),
            event("sealed", total_chunks=4),
            chunk(0, second=1, duration_ms=1000),
        ]
    )
    status = to_status(p, now=at(1))
    assert status.rows_per_second == 1000.0
    assert status.eta_seconds == 3.0  # 3 chunks to go at 1 s each
    assert status.percent == 25.0


def test_row_total_known_early_gives_percent_before_sealing() -> None:
    p = fold([event("registered", total_rows=4000), chunk(0, second=1, duration_ms=1000)])
    status = to_status(p, now=at(1))
    assert (status.state, status.rows_total, status.percent) == ("processing", 4000, 25.0)
    assert status.eta_seconds == 3.0


def test_unknown_columns_reach_the_status() -> None:
    p = fold([event("registered", unknown_columns=["Colour"]), event("sealed", total_chunks=0)])
    assert to_status(p, now=at(1)).unknown_columns == ["Colour"]


def test_fold_does_not_mutate_its_input() -> None:
    p = fold([event("registered")])
    apply_chunk_result(p, chunk(0))
    apply_job_event(p, event("sealed", total_chunks=1))
    assert (p.rows_ok, p.chunks, p.total_chunks) == (0, set(), None)


def test_job_progress_json_round_trip() -> None:
    dead = chunk(2, ok=0, failed=7, dead_lettered=True, reason="x")
    p = fold([chunk(0), event("registered", unknown_columns=["a"]), chunk(1, failed=2), dead])
    again = JobProgress.model_validate_json(p.model_dump_json())
    assert again == p
    assert again.dead_chunks == {2: 7} and again.chunks == {0, 1, 2}
    assert to_status(again, now=at(5)) == to_status(p, now=at(5))


def test_should_publish_rate_limits_but_never_drops_the_final() -> None:
    assert should_publish(None, 10.0, is_final=False)
    assert not should_publish(10.0, 10.1, is_final=False)
    assert should_publish(10.0, 10.25, is_final=False)
    assert should_publish(10.0, 10.01, is_final=True)
    assert not should_publish(10.0, 10.5, is_final=False, min_interval=1.0)


def test_a_batch_folds_per_job_from_what_the_table_held() -> None:
    before = fold([event("registered"), chunk(0)])
    other = "job-2"
    records = [
        (JOB, False, chunk(0).model_dump_json().encode()),  # a redelivery: no change
        (
            other,
            True,
            event("registered").model_copy(update={"job_id": other}).model_dump_json().encode(),
        ),
        (JOB, False, chunk(1, failed=2).model_dump_json().encode()),
        (JOB, True, event("sealed", total_chunks=2, total_rows=2002).model_dump_json().encode()),
        (JOB, False, chunk(1, failed=2).model_dump_json().encode()),  # again: no change
    ]
    loaded: list[str] = []

    def load(job_id: str) -> JobProgress | None:
        loaded.append(job_id)
        return before if job_id == JOB else None

    changed = fold_batch(records, load)

    assert sorted(loaded) == [JOB, other]  # each job read once per batch
    progress, last = changed[JOB]
    assert last == 3  # the last record that changed the job (the sealed event)
    assert (progress.rows_ok, progress.rows_failed, progress.total_chunks) == (2000, 2, 2)
    assert to_status(progress, at(5)).state == "completed_with_errors"
    assert changed[other][1] == 1


def test_a_parse_failure_after_the_seal_leaves_the_job_completed() -> None:
    # a re-parse that fails (file gone, dataset changed) must not fail a job that went through
    records = [event("registered"), chunk(0), event("sealed", second=1, total_chunks=1)]
    later = fold([*records, event("parse_failed", second=9, reason="the file is gone")])
    status = to_status(later, now=at(10))
    assert (status.state, status.error, status.rows_ok) == ("completed", None, 1000)
    outcome = job_outcome_event(later)
    assert outcome is not None and outcome.type == "job.completed"
