"""The progress fold: job events and chunk results in, one job status out. Pure.

Kafka delivers at least once and ``jobs`` and ``chunk-results`` are separate topics, so the
fold takes records in any order and any number of times: every chunk is counted once, and a
chunk result that overtakes its job's ``registered`` record is kept until the job's identity
arrives (``is_publishable``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from schemas.column_mapping import ColumnMapping, MappingPreview
from schemas.locales import LocaleSource
from schemas.records import (
    FINAL_STATES,
    ChunkResult,
    JobEvent,
    JobOutcomeEvent,
    JobState,
    UploadStatus,
)
from schemas.settings import Tier


class JobProgress(BaseModel):
    """Everything the status needs, kept per job in a table; round-trips through JSON."""

    job_id: str
    # identity, from any job event
    tenant: str | None = None
    dataset: str | None = None
    filename: str | None = None
    tier: Tier | None = None
    submitted_at: datetime | None = None
    unknown_columns: list[str] = Field(default_factory=list)
    # the reading locale, from the registered event
    locale: str | None = None
    locale_source: LocaleSource | None = None
    reading: str | None = None
    corrects: str | None = None
    # where the table was found and how its columns were read (registered)
    sheet: str | None = None
    header_row: int | None = None
    mapping: ColumnMapping = Field(default_factory=dict)
    # needs_mapping: what the person maps, until a mapping is confirmed
    mapping_preview: MappingPreview | None = None
    # lifecycle
    registered_at: datetime | None = None
    sealed_at: datetime | None = None
    total_chunks: int | None = None  # known once sealed
    total_rows: int | None = None  # known once sealed (or early, when a format tells)
    failure_reason: str | None = None
    failed_at: datetime | None = None
    # chunks, each counted once
    chunks: set[int] = Field(default_factory=set)
    dead_chunks: dict[int, int] = Field(default_factory=dict)  # chunk no -> rows it failed
    dead_reason: str | None = None
    rows_ok: int = 0
    rows_failed: int = 0
    first_chunk_at: datetime | None = None  # when the earliest counted chunk started
    last_chunk_at: datetime | None = None  # when the latest counted chunk finished


def apply_job_event(p: JobProgress | None, e: JobEvent) -> JobProgress:
    if e.kind == "parse_failed" and p is not None and p.sealed_at is not None:
        # the file was read to its end once: a later parse failure comes from a re-parse
        # (an operator's, or a crash's), and must not turn the job into a failed one
        return p
    p = p.model_copy(deep=True) if p is not None else JobProgress(job_id=e.job_id)
    p.tenant, p.dataset, p.filename = e.tenant, e.dataset, e.filename
    p.tier, p.submitted_at = e.tier, e.submitted_at
    p.unknown_columns = list(dict.fromkeys([*p.unknown_columns, *e.unknown_columns]))
    p.corrects = e.corrects or p.corrects
    if e.kind == "registered":
        p.registered_at = _earliest(p.registered_at, e.at)
        if e.reading is not None:
            p.locale, p.locale_source, p.reading = e.locale, e.locale_source, e.reading
        p.mapping_preview = None
        p.sheet, p.header_row = e.sheet, e.header_row
        p.mapping = dict(e.mapping) or p.mapping
        if e.total_rows is not None and p.total_chunks is None:
            p.total_rows = e.total_rows
    elif e.kind == "needs_mapping":
        if p.registered_at is None and p.failure_reason is None:
            p.mapping_preview = e.mapping_preview
    elif e.kind == "mapping_confirmed":
        p.mapping_preview = None
        p.mapping = dict(e.mapping)
    elif e.kind == "mapping_expired":
        # only a job still paused: one whose mapping came in meanwhile goes on
        if p.mapping_preview is not None and p.registered_at is None:
            p.mapping_preview = None
            p.failed_at = _earliest(p.failed_at, e.at)
            p.failure_reason = e.reason or "nobody confirmed the column mapping in time"
    elif e.kind == "sealed":
        p.sealed_at = _earliest(p.sealed_at, e.at)
        # a seal without a count is malformed: better stay "processing" than claim completion
        if e.total_chunks is not None:
            p.total_chunks = e.total_chunks
        p.total_rows = e.total_rows if e.total_rows is not None else p.total_rows
    else:  # parse_failed
        p.failed_at = _earliest(p.failed_at, e.at)
        p.failure_reason = e.reason or "the file could not be read"
    return p


def apply_chunk_result(p: JobProgress | None, r: ChunkResult) -> JobProgress:
    redriven = p is not None and r.chunk_no in p.dead_chunks and not r.dead_lettered
    if p is not None and r.chunk_no in p.chunks and not redriven:
        return p  # a redelivered result: already counted
    p = p.model_copy(deep=True) if p is not None else JobProgress(job_id=r.job_id)
    if redriven:  # a dead-lettered chunk re-driven from the DLQ replaces its failure
        p.rows_failed -= p.dead_chunks.pop(r.chunk_no)
    p.chunks.add(r.chunk_no)
    p.rows_ok += r.rows_ok
    p.rows_failed += r.rows_failed
    if r.dead_lettered:
        p.dead_chunks[r.chunk_no] = r.rows_failed
        p.dead_reason = r.reason or p.dead_reason
    p.first_chunk_at = _earliest(p.first_chunk_at, r.at - timedelta(milliseconds=r.duration_ms))
    p.last_chunk_at = r.at if p.last_chunk_at is None else max(p.last_chunk_at, r.at)
    return p


def fold_batch(
    records: Sequence[tuple[str, bool, bytes]], load: Callable[[str], JobProgress | None]
) -> dict[str, tuple[JobProgress, int]]:
    """Fold a batch of (job id, is a job event, JSON value) records in order.

    Returns, for each job whose progress changed, the new progress and the index of the
    job's last record in the batch; ``load`` gives a job's progress before the batch."""
    latest: dict[str, JobProgress] = {}
    last_change: dict[str, int] = {}
    for index, (job_id, is_job_event, value) in enumerate(records):
        current = latest[job_id] if job_id in latest else load(job_id)
        if is_job_event:
            progress = apply_job_event(current, JobEvent.model_validate_json(value))
        else:
            progress = apply_chunk_result(current, ChunkResult.model_validate_json(value))
        latest[job_id] = progress
        if progress is not current:
            last_change[job_id] = index
    return {job_id: (latest[job_id], index) for job_id, index in last_change.items()}


def is_publishable(p: JobProgress) -> bool:
    """A status needs the job's identity, which only a job event brings."""
    return p.tenant is not None and p.submitted_at is not None


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None else min(current, candidate)


def _state(p: JobProgress) -> JobState:
    if p.failure_reason is not None:
        return "failed"
    if p.mapping_preview is not None and p.registered_at is None:
        return "needs_mapping"
    if p.total_chunks is not None and len(p.chunks) >= p.total_chunks:
        if p.total_chunks > 0 and len(p.dead_chunks) >= p.total_chunks:
            return "failed"
        return "completed_with_errors" if p.rows_failed or p.dead_chunks else "completed"
    return "processing" if p.chunks or p.total_chunks is not None else "parsing"


def _error(p: JobProgress, state: str) -> str | None:
    if p.failure_reason is not None:
        return p.failure_reason
    if not p.dead_chunks:
        return None
    why = f": {p.dead_reason}" if p.dead_reason else ""
    if state == "failed":
        return f"no chunk of the file could be processed{why}"
    count = len(p.dead_chunks)
    return f"{count} chunk{'s' if count > 1 else ''} could not be processed{why}"


def _warning(p: JobProgress, state: str) -> str | None:
    """A job that completed with no rows at all read nothing: the file held a header only."""
    if state != "completed" or p.total_rows != 0:
        return None
    if p.header_row is None:
        return "no data rows in the file"
    return f"no data rows under the header on row {p.header_row}"


def _finished_at(p: JobProgress, state: str) -> datetime | None:
    if state not in FINAL_STATES:
        return None
    if p.failure_reason is not None:
        return p.failed_at
    moments = [m for m in (p.sealed_at, p.last_chunk_at) if m is not None]
    return max(moments) if moments else None


def to_status(p: JobProgress, now: datetime) -> UploadStatus:
    """The job's status as the API shows it; raises ValueError before ``is_publishable``."""
    if not is_publishable(p):
        raise ValueError(f"job {p.job_id}: no job event yet, so no status")
    assert p.tenant and p.dataset and p.filename and p.tier and p.submitted_at
    state = _state(p)
    finished_at = _finished_at(p, state)
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
    end = finished_at or now
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
        rows_total=p.total_rows,
        rows_ok=p.rows_ok,
        rows_failed=p.rows_failed,
        chunks_total=p.total_chunks,
        chunks_done=done,
        percent=round(percent, 2),
        rows_per_second=None if rate is None else round(rate, 1),
        eta_seconds=None if eta is None else round(eta, 1),
        submitted_at=p.submitted_at,
        started_at=p.registered_at or p.first_chunk_at,
        finished_at=finished_at,
        error=_error(p, state),
        unknown_columns=list(p.unknown_columns),
        locale=p.locale,
        locale_source=p.locale_source,
        reading=p.reading,
        warning=_warning(p, state),
        sheet=p.sheet,
        header_row=p.header_row,
        mapping=dict(p.mapping),
        mapping_preview=p.mapping_preview,
        corrects=p.corrects,
    )


def job_outcome_event(p: JobProgress) -> JobOutcomeEvent | None:
    """job.completed / job.failed once the job is final, else None."""
    if not is_publishable(p):
        return None
    state = _state(p)
    if state not in FINAL_STATES:
        return None
    assert p.tenant and p.dataset and p.submitted_at
    return JobOutcomeEvent(
        type="job.failed" if state == "failed" else "job.completed",
        job_id=p.job_id,
        tenant=p.tenant,
        dataset=p.dataset,
        state=state,
        rows_ok=p.rows_ok,
        rows_failed=p.rows_failed,
        error=_error(p, state),
        warning=_warning(p, state),
        corrects=p.corrects,
        at=_finished_at(p, state) or p.last_chunk_at or p.submitted_at,
    )


def should_publish(
    last_published_at: float | None, now: float, is_final: bool, min_interval: float = 0.25
) -> bool:
    """At most a few updates a second per job, but never drop the final one."""
    return is_final or last_published_at is None or now - last_published_at >= min_interval
