"""The aggregator's publishing policy: rate-limited, no repeats, the final always, and
job.completed once."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.records import ChunkResult, JobEvent
from stream_processors.progress import JobProgress, apply_chunk_result, apply_job_event, settle
from stream_processors.progress_publisher import ProgressPublisher

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _job(kind: str = "registered", **extra: object) -> JobEvent:
    return JobEvent(
        job_id="j1",
        kind=kind,
        tenant="acme",
        dataset="orders",  # type: ignore[arg-type]
        filename="f.csv",
        tier="high",
        submitted_at=T0,
        at=T0,
        **extra,
    )  # type: ignore[arg-type]


def _chunk(no: int, ok: int = 100, failed: int = 0) -> ChunkResult:
    return ChunkResult(job_id="j1", chunk_no=no, rows_ok=ok, rows_failed=failed, at=T0)


def _progress(*chunks: int, sealed: int | None = None) -> JobProgress:
    p = apply_job_event(None, _job())
    for no in chunks:
        p = apply_chunk_result(p, _chunk(no))
    if sealed is not None:
        p = apply_job_event(p, _job("sealed", total_chunks=sealed, total_rows=sealed * 100))
    return p


def test_no_status_before_the_job_is_known() -> None:
    orphan = apply_chunk_result(None, _chunk(0))
    assert ProgressPublisher().due(orphan, now=0.0) is None


def test_updates_are_rate_limited_and_kept_dirty_until_due() -> None:
    pub = ProgressPublisher(min_interval=0.25)
    assert pub.due(_progress(0), now=0.0) is not None
    assert pub.due(_progress(0, 1), now=0.1) is None  # too soon ...
    assert "j1" in pub.dirty  # ... but not lost
    later = pub.due(pub.dirty["j1"], now=0.3)
    assert later is not None and later.chunks_done == 2 and "j1" not in pub.dirty


def test_the_same_status_is_not_published_twice() -> None:
    pub = ProgressPublisher()
    assert pub.due(_progress(0), now=0.0) is not None
    assert pub.due(_progress(0), now=5.0) is None


def test_the_final_status_is_always_published_at_once() -> None:
    pub = ProgressPublisher(min_interval=10.0)
    assert pub.due(_progress(0), now=0.0) is not None
    final = pub.due(_progress(0, 1, sealed=2), now=0.01)
    assert final is not None and final.state == "completed"


def test_the_outcome_event_is_sent_once() -> None:
    pub = ProgressPublisher()
    assert pub.outcome(_progress(0)) is None  # not final yet
    done = _progress(0, 1, sealed=2)
    event = pub.outcome(done)
    assert event is not None and (event.type, event.rows_ok) == ("job.completed", 200)
    assert pub.outcome(done) is None


def _dead(no: int, rows: int = 100) -> ChunkResult:
    return ChunkResult(
        job_id="j1",
        chunk_no=no,
        rows_ok=0,
        rows_failed=rows,
        dead_lettered=True,
        reason="permanent database error",
        first_row=2 + no * rows,
        last_row=1 + (no + 1) * rows,
        at=T0,
    )


def test_a_redrive_that_changes_the_outcome_sends_one_job_revised() -> None:
    pub = ProgressPublisher()
    p = apply_job_event(apply_chunk_result(_progress(), _dead(0)), _job("sealed", total_chunks=1))
    failed = pub.outcome(settle(p))
    assert failed is not None and (failed.type, failed.revision) == ("job.failed", 2)
    assert (failed.rows_ok, failed.rows_failed, failed.rows_dead_lettered) == (0, 100, 100)
    assert [(d.first_row, d.last_row, d.rows) for d in failed.dead_letters] == [(2, 101, 100)]

    redriven = settle(apply_chunk_result(settle(p), _chunk(0)))
    revised = pub.outcome(redriven)
    assert revised is not None and (revised.type, revised.revision) == ("job.revised", 3)
    assert (revised.previous_state, revised.previous_rows_ok) == ("failed", 0)
    assert (revised.state, revised.rows_ok, revised.rows_failed) == ("completed", 100, 0)
    assert revised.dead_letters == [] and revised.error is None
    assert pub.outcome(redriven) is None  # once per revision
    status = pub.due(redriven, now=1.0)
    assert status is not None and (status.revision, status.state) == (3, "completed")


def test_a_duplicate_dead_letter_after_the_redrive_changes_nothing() -> None:
    p = settle(
        apply_job_event(apply_chunk_result(_progress(), _dead(0)), _job("sealed", total_chunks=1))
    )
    fixed = settle(apply_chunk_result(p, _chunk(0)))
    again = settle(apply_chunk_result(fixed, _dead(0)))
    assert again.revision == fixed.revision == 3 and again.outcome == fixed.outcome
