"""The progress fold: job events and chunk results in, one job's progress out, and what it
means: its state, error, warning and outcome (job_status.py makes the API's status). Pure.

Kafka delivers at least once and ``jobs`` and ``chunk-results`` are separate topics, so the
fold takes records in any order and any number of times: every chunk is counted once, and a
chunk result that overtakes its job's ``registered`` record is kept until the job's identity
arrives (``is_publishable``).

``settle`` numbers the job's outcomes: revision 1 while it has none, and one more for its
first final state and for every change of it (a redrive, a replay or a re-parse), so that
the status and the job's events carry the same revision (docs/topics.md: the lifecycle).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from schemas.column_mapping import ColumnMapping, MappingPreview
from schemas.locales import LocaleSource
from schemas.records import FINAL_STATES, ChunkResult, DeadLetterRange, JobEvent, JobState
from schemas.settings import Tier


class Outcome(BaseModel):
    """What a final state says to the outside: the part of a status its events carry."""

    state: JobState
    rows_ok: int
    rows_failed: int
    rows_dead_lettered: int
    dead_letters: list[DeadLetterRange]
    error: str | None
    warning: str | None


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
    warnings: list[str] = Field(default_factory=list)  # how the file was read (sealed)
    repeated_keys: int = 0  # rows replaced by a later row of the file with their key
    failure_reason: str | None = None
    failed_at: datetime | None = None
    # chunks, each counted once
    chunks: set[int] = Field(default_factory=set)
    dead_chunks: dict[int, int] = Field(default_factory=dict)  # chunk no -> rows it failed
    dead_reason: str | None = None
    dead_ranges: dict[int, DeadLetterRange] = Field(default_factory=dict)  # chunk no -> rows
    rows_ok: int = 0
    rows_failed: int = 0
    first_chunk_at: datetime | None = None  # when the earliest counted chunk started
    last_chunk_at: datetime | None = None  # when the latest counted chunk finished
    # the outcomes published (settle): 0 before the first status
    revision: int = 0
    outcome: Outcome | None = None
    previous_outcome: Outcome | None = None


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
        p.warnings = list(e.warnings)
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
        p.dead_ranges.pop(r.chunk_no, None)
    p.chunks.add(r.chunk_no)
    p.rows_ok += r.rows_ok
    p.rows_failed += r.rows_failed
    p.repeated_keys += r.repeated_keys
    if r.dead_lettered:
        p.dead_chunks[r.chunk_no] = r.rows_failed
        p.dead_reason = r.reason or p.dead_reason
        first = r.first_row if r.first_row is not None else 0
        last = r.last_row if r.last_row is not None else first
        why = r.reason or "the chunk could not be processed"
        p.dead_ranges[r.chunk_no] = DeadLetterRange(
            chunk_no=r.chunk_no, first_row=first, last_row=last, rows=r.rows_failed, reason=why
        )
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
    return {job_id: (settle(latest[job_id]), index) for job_id, index in last_change.items()}


def is_publishable(p: JobProgress) -> bool:
    """A status needs the job's identity, which only a job event brings."""
    return p.tenant is not None and p.submitted_at is not None


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None else min(current, candidate)


def _complete(p: JobProgress) -> bool:
    return p.total_chunks is not None and len(p.chunks) >= p.total_chunks


def _unreadable(p: JobProgress) -> bool:
    """The file could not be read. A job stays failed for it until a re-parse read the file
    whole (a seal) and every chunk is counted: a final state never goes back to an
    unfinished one."""
    return p.failure_reason is not None and not (p.sealed_at is not None and _complete(p))


def state_of(p: JobProgress) -> JobState:
    if _unreadable(p):
        return "failed"
    if p.mapping_preview is not None and p.registered_at is None:
        return "needs_mapping"
    if p.total_chunks is not None and _complete(p):
        if p.total_chunks > 0 and len(p.dead_chunks) >= p.total_chunks:
            return "failed"
        return "completed_with_errors" if p.rows_failed or p.dead_chunks else "completed"
    return "processing" if p.chunks or p.total_chunks is not None else "parsing"


def error_of(p: JobProgress, state: str) -> str | None:
    if _unreadable(p):
        return p.failure_reason
    if not p.dead_chunks:
        return None
    why = f": {p.dead_reason}" if p.dead_reason else ""
    if state == "failed":
        return f"no chunk of the file could be processed{why}"
    count = len(p.dead_chunks)
    return f"{count} chunk{'s' if count > 1 else ''} could not be processed{why}"


def warning_of(p: JobProgress, state: str) -> str | None:
    """What a person should know of a job that read its file: that it held a header only
    (completed with no rows at all), how the file was read (its merged cells), and that rows
    repeating a key were replaced by the file's last row of it."""
    if state not in ("completed", "completed_with_errors"):
        return None
    found = list(p.warnings)
    if p.repeated_keys:
        n = p.repeated_keys
        rows = "1 row was" if n == 1 else f"{n:,} rows were"
        found.append(
            f"{rows} replaced by a later row of the file with the same key: each key keeps "
            "its last row; give each row its own key, or remove the repeats"
        )
    if state == "completed" and p.total_rows == 0:
        if p.header_row is None:
            found.insert(0, "no data rows in the file")
        else:
            found.insert(0, f"no data rows under the header on row {p.header_row}")
    return "; ".join(found) or None


def finished_at(p: JobProgress, state: str) -> datetime | None:
    if state not in FINAL_STATES:
        return None
    if _unreadable(p):
        return p.failed_at
    moments = [m for m in (p.sealed_at, p.last_chunk_at) if m is not None]
    return max(moments) if moments else None


def dead_letters_of(p: JobProgress) -> list[DeadLetterRange]:
    why = p.dead_reason or "the chunk could not be processed"
    return [
        p.dead_ranges.get(no)
        or DeadLetterRange(chunk_no=no, first_row=0, last_row=0, rows=rows, reason=why)
        for no, rows in sorted(p.dead_chunks.items())
    ]


def outcome_of(p: JobProgress) -> Outcome | None:
    """The job's outcome once it is final, else None."""
    state = state_of(p)
    if state not in FINAL_STATES:
        return None
    return Outcome(
        state=state,
        rows_ok=p.rows_ok,
        rows_failed=p.rows_failed,
        rows_dead_lettered=sum(p.dead_chunks.values()),
        dead_letters=dead_letters_of(p),
        error=error_of(p, state),
        warning=warning_of(p, state),
    )


def settle(p: JobProgress) -> JobProgress:
    """The job's revision brought up to date: 1 with its first status, one more with its
    first outcome and with every change of it. Idempotent: settling twice changes nothing."""
    if not is_publishable(p):
        return p
    outcome = outcome_of(p)
    if p.revision and (outcome is None or outcome == p.outcome):
        return p
    p = p.model_copy(deep=True)
    p.revision = p.revision or 1
    if outcome is not None and outcome != p.outcome:
        p.previous_outcome, p.outcome = p.outcome, outcome
        p.revision += 1
    return p
