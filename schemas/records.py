"""Wire records: JSON models on uploads/jobs/chunk-results/progress/events (the Kafka
headers of chunk and result records are in schemas/headers.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from schemas.column_mapping import ColumnMapping, MappingPreview
from schemas.locales import LocaleSource
from schemas.settings import Tier

# the warning field of a job's status and outcome event
WARNING = (
    "what a person should know of a job that read its file (completed, with or without "
    "errors): 'no data rows under the header on row 1', merged cells that left values out, "
    "rows a later row of the file with the same key replaced; a field, not a state (the CLI "
    "exits 4 for a completed job with one)"
)

JobState = Literal[
    "queued",
    "parsing",
    "needs_mapping",
    "processing",
    "completed",
    "completed_with_errors",
    "failed",
]
FINAL_STATES: frozenset[str] = frozenset({"completed", "completed_with_errors", "failed"})


def utcnow() -> datetime:
    return datetime.now(UTC)


class UploadBlob(BaseModel):
    """Where an uploaded file's bytes are on ``uploads-blobs``: ``parts`` records keyed by the
    job id, all on one partition between two offsets (other jobs' parts may lie between)."""

    topic: str
    partition: int
    first_offset: int
    last_offset: int
    parts: int
    size_bytes: int
    sha256: str


class UploadRecord(BaseModel):
    """On ``uploads.<tier>``: a spooled file waiting to be parsed. ``spool_path`` is where the
    submitter spooled it; ``blob``, when set, is where any machine fetches it from."""

    job_id: str
    tenant: str
    dataset: str
    filename: str
    spool_path: str
    size_bytes: int
    estimated_rows: int
    tier: Tier
    submitted_at: datetime
    file_format: str | None = None  # csv | xlsx | parquet | jsonl; sniffed when missing
    sheet: str | None = None
    encoding: str | None = None
    blob: UploadBlob | None = None
    locale: str | None = None  # the reading locale the uploader chose (a supported tag)
    # how ``locale`` came to be: chosen (None says so too), or corrected: a correction that
    # names none reads as the job it corrects was read
    locale_source: LocaleSource | None = None
    # dataset column -> the file's header for it, when a person (or a saved mapping) chose
    mapping: ColumnMapping | None = None
    # the job whose invalid rows this file corrects: its rows carry their original row numbers
    corrects: str | None = None


class JobEvent(BaseModel):
    """On ``jobs``: the lifecycle of one job as the producer sees it."""

    job_id: str
    kind: Literal[
        "registered",
        "sealed",
        "parse_failed",
        "needs_mapping",  # no header row maps the required columns: a person maps them
        "mapping_confirmed",  # the person's mapping is in: the job is queued again
        "mapping_expired",  # nobody confirmed the mapping in time: the job fails
    ]
    tenant: str
    dataset: str
    filename: str
    tier: Tier
    submitted_at: datetime
    at: datetime = Field(default_factory=utcnow)
    total_chunks: int | None = None
    total_rows: int | None = None
    # sealed: what a person should know of how the file was read (merged cells)
    warnings: list[str] = Field(default_factory=list)
    reason: str | None = None
    unknown_columns: list[str] = Field(default_factory=list)
    # registered: the locale the chunks are read by (none: no locale), and what it means
    locale: str | None = None
    locale_source: LocaleSource | None = None
    reading: str | None = None
    # registered: where the table was found and how its columns were mapped
    sheet: str | None = None
    header_row: int | None = None
    mapping: ColumnMapping = Field(default_factory=dict)
    mapping_preview: MappingPreview | None = None  # needs_mapping: what the person sees
    corrects: str | None = None

    @classmethod
    def of_upload(cls, upload: UploadRecord, kind: str, **fields: object) -> JobEvent:
        """The upload's job event of ``kind``: its identity from the upload record."""
        return cls.model_validate(
            {
                "job_id": upload.job_id,
                "kind": kind,
                "tenant": upload.tenant,
                "dataset": upload.dataset,
                "filename": upload.filename,
                "tier": upload.tier,
                "submitted_at": upload.submitted_at,
                "corrects": upload.corrects,
                **fields,
            }
        )


class RowError(BaseModel):
    row: int
    column: str
    value: str | None
    message: str


class ChunkResult(BaseModel):
    """On ``chunk-results``: what one chunk came to."""

    job_id: str
    chunk_no: int
    rows_ok: int
    rows_failed: int
    error_samples: list[RowError] = Field(default_factory=list)
    duration_ms: float = 0.0
    dead_lettered: bool = False
    reason: str | None = None
    at: datetime = Field(default_factory=utcnow)
    # the chunk's first and last spreadsheet rows (set on a dead-lettered chunk's result)
    first_row: int | None = None
    last_row: int | None = None
    # what handling it did: the replay (or re-parse) it came from, whether its rows were
    # written to the database this time (not when the ledger held it already), and how
    # many result records it sent (replay and reparse report these on events)
    replay_id: str | None = None
    written: bool = False
    result_records: int = 0
    # rows not kept: a later row of the same file holds their key (chunk_store)
    repeated_keys: int = 0


class DeadLetterRange(BaseModel):
    """A dead-lettered chunk as a person reads it: its rows from first_row to last_row
    (rows of them) were not saved, and why; bulkflow dlq list holds the letter itself."""

    chunk_no: int
    first_row: int
    last_row: int
    rows: int
    reason: str

    def describe(self) -> str:
        """How a person reads it, in every view (CLI, errors CSV, page)."""
        where = f"rows {self.first_row}–{self.last_row}"
        return f"{where} not saved: {self.reason}; see `bulkflow dlq list`"


class UploadStatus(BaseModel):
    """A job's whole current status, as on the compacted progress topic and from the API."""

    job_id: str
    tenant: str
    dataset: str
    filename: str
    tier: Tier
    state: JobState
    # grows by one with each change of the job's outcome (docs/topics.md: the job lifecycle);
    # the same number is on the job's events, so a consumer keeps the highest per job
    revision: int = 1
    rows_total: int | None = None
    rows_ok: int = 0
    rows_failed: int = 0  # rows not saved: invalid rows plus rows_dead_lettered
    rows_dead_lettered: int = 0
    dead_letters: list[DeadLetterRange] = Field(default_factory=list)
    chunks_total: int | None = None
    chunks_done: int = 0
    percent: float = 0.0
    rows_per_second: float | None = None
    eta_seconds: float | None = None
    submitted_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    unknown_columns: list[str] = Field(default_factory=list)
    locale: str | None = Field(
        default=None, description="the reading locale of the text cells, if any"
    )
    locale_source: LocaleSource | None = Field(
        default=None,
        description="chosen (the upload's), dataset (its default), detected, or corrected (a "
        "correction's, as the job it corrects was read)",
    )
    reading: str | None = Field(
        default=None,
        description="how the text was read, for a person: 'read as de-DE: decimal comma, "
        "day-first dates (detected)'",
    )
    warning: str | None = Field(default=None, description=WARNING)
    sheet: str | None = Field(default=None, description="the sheet read (workbooks)")
    header_row: int | None = Field(default=None, description="the row the header was found on")
    mapping: ColumnMapping = Field(
        default_factory=dict, description="dataset column -> the file's header it was read from"
    )
    mapping_preview: MappingPreview | None = Field(
        default=None, description="needs_mapping: the file's columns, samples and suggestions"
    )
    corrects: str | None = Field(
        default=None, description="the job whose rows this upload corrects"
    )

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


STATE_RANK: dict[str, int] = {
    "queued": 0,
    "parsing": 1,
    "needs_mapping": 1,  # back to parsing once the person's mapping is in
    "processing": 2,
    "completed": 3,
    "completed_with_errors": 3,
    "failed": 3,
}


def is_step_back(old: UploadStatus | None, new: UploadStatus) -> bool:
    """A status older than the one held: a lower revision, or within one revision an
    earlier state or fewer chunks in the same unfinished state. A record that arrives late
    (from another partition or writer) must not undo a newer one; a revised outcome (a
    redrive turning failed into completed) comes with a higher revision."""
    if old is None:
        return False
    if new.revision != old.revision:
        return new.revision < old.revision
    old_rank, new_rank = STATE_RANK[old.state], STATE_RANK[new.state]
    if new_rank != old_rank:
        return new_rank < old_rank
    return new_rank < STATE_RANK["completed"] and new.chunks_done < old.chunks_done
