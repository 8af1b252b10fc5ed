"""On ``events`` (key: the job id): what downstream systems learn about a job.

Two kinds (docs/topics.md, "events"): a job's *outcome* (``job.completed``, ``job.failed``,
``job.revised``), each with the job's ``revision``, so that a consumer keeps the highest
revision per job; and a *delivery notice* (``job.results_republished``,
``job.rows_rewritten``): a replay or a re-parse sent the job's rows again, which never
changes the outcome by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from schemas.records import WARNING, DeadLetterRange, JobState, utcnow

OutcomeType = Literal["job.completed", "job.failed", "job.revised"]


class JobOutcomeEvent(BaseModel):
    """The job's outcome: its first final state (job.completed / job.failed), or a change of
    it (job.revised: a redrive, a replay or a re-parse changed the state or the counts)."""

    type: OutcomeType
    job_id: str
    tenant: str
    dataset: str
    revision: int
    state: JobState
    rows_ok: int
    rows_failed: int
    rows_dead_lettered: int = 0
    dead_letters: list[DeadLetterRange] = Field(default_factory=list)
    error: str | None = None
    warning: str | None = Field(default=None, description=WARNING)
    # a correction job: the job whose invalid rows it corrects (that job's outcome stands)
    corrects: str | None = None
    # job.revised only: the outcome it replaces
    previous_state: JobState | None = None
    previous_rows_ok: int | None = None
    previous_rows_failed: int | None = None
    at: datetime = Field(default_factory=utcnow)


class JobResultsRepublished(BaseModel):
    """The job's valid rows were sent to ``results.<dataset>`` again; every one of those
    records has the header ``replay_id`` with this value."""

    type: Literal["job.results_republished"] = "job.results_republished"
    job_id: str
    tenant: str
    dataset: str
    replay_id: str
    chunks: int  # chunks whose rows were re-published
    records: int  # result records sent
    rows: int  # valid rows in them
    at: datetime = Field(default_factory=utcnow)


class JobRowsRewritten(BaseModel):
    """Chunks of the job that the database lacked were written (after a restore, or a
    dead letter's chunk): the counts are what was actually written."""

    type: Literal["job.rows_rewritten"] = "job.rows_rewritten"
    job_id: str
    tenant: str
    dataset: str
    replay_id: str
    chunks: int
    rows_ok: int
    rows_failed: int
    at: datetime = Field(default_factory=utcnow)


JOB_EVENT_MODELS: tuple[type[BaseModel], ...] = (
    JobOutcomeEvent,
    JobResultsRepublished,
    JobRowsRewritten,
)
