"""A job's status as the API shows it, made from its progress (the fold's record): the
state and counts of stream_processors/progress.py, with how far it is, its rate and the
time left. Pure."""

from __future__ import annotations

from datetime import datetime

from schemas.records import FINAL_STATES, UploadStatus
from stream_processors.progress import (
    JobProgress,
    dead_letters_of,
    error_of,
    finished_at,
    is_publishable,
    settle,
    state_of,
    warning_of,
)


def to_status(p: JobProgress, now: datetime) -> UploadStatus:
    """The job's status as the API shows it; raises ValueError before ``is_publishable``."""
    if not is_publishable(p):
        raise ValueError(f"job {p.job_id}: no job event yet, so no status")
    p = settle(p)
    assert p.tenant and p.dataset and p.filename and p.tier and p.submitted_at
    state = state_of(p)
    finished = finished_at(p, state)
    done, counted = len(p.chunks), p.rows_ok + p.rows_failed

    if state in ("completed", "completed_with_errors"):
        percent = 100.0
    elif p.total_chunks:
        percent = min(100.0, done / p.total_chunks * 100)
    elif p.total_rows:  # before sealing, only a row total told early gives a fraction
        percent = min(99.0, counted / p.total_rows * 100)
    else:
        percent = 0.0

    rate = eta = None
    end = finished or now
    if p.first_chunk_at is not None and counted:
        elapsed = (end - p.first_chunk_at).total_seconds()
        if elapsed > 0:
            rate = counted / elapsed
            if state in FINAL_STATES:
                eta = 0.0 if state != "failed" else None
            elif p.total_rows is not None:
                eta = max(0.0, (p.total_rows - counted) / rate)
            elif p.total_chunks is not None:
                eta = max(0.0, (p.total_chunks - done) * elapsed / done)

    return UploadStatus(
        job_id=p.job_id,
        tenant=p.tenant,
        dataset=p.dataset,
        filename=p.filename,
        tier=p.tier,
        state=state,
        revision=p.revision,
        rows_total=p.total_rows,
        rows_ok=p.rows_ok,
        rows_failed=p.rows_failed,
        rows_dead_lettered=sum(p.dead_chunks.values()),
        dead_letters=dead_letters_of(p),
        chunks_total=p.total_chunks,
        chunks_done=done,
        percent=round(percent, 2),
        rows_per_second=None if rate is None else round(rate, 1),
        eta_seconds=None if eta is None else round(eta, 1),
        submitted_at=p.submitted_at,
        started_at=p.registered_at or p.first_chunk_at,
        finished_at=finished,
        error=error_of(p, state),
        unknown_columns=list(p.unknown_columns),
        locale=p.locale,
        locale_source=p.locale_source,
        reading=p.reading,
        warning=warning_of(p, state),
        sheet=p.sheet,
        header_row=p.header_row,
        mapping=dict(p.mapping),
        mapping_preview=p.mapping_preview,
        corrects=p.corrects,
    )
