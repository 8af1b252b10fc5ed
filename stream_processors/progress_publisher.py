"""When the aggregator publishes a job's status: a few updates a second per job, never the
same status twice in a row, always the final one; and each outcome's event (job.completed,
job.failed, job.revised) once per revision."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.events import JobOutcomeEvent, OutcomeType
from schemas.records import UploadStatus
from stream_processors.bounded import BoundedDict
from stream_processors.job_status import to_status
from stream_processors.progress import JobProgress, finished_at, is_publishable, settle

REMEMBERED_JOBS = 100_000  # bookkeeping is bounded: the oldest jobs are forgotten first


class ProgressPublisher:
    def __init__(self, min_interval: float = 0.25) -> None:
        self.min_interval = min_interval
        self.last_at: BoundedDict[float] = BoundedDict(REMEMBERED_JOBS)
        self.last_status: BoundedDict[str] = BoundedDict(REMEMBERED_JOBS)
        self.outcomes_sent: BoundedDict[int] = BoundedDict(REMEMBERED_JOBS)  # revisions
        self.dirty: dict[str, JobProgress] = {}

    def due(self, progress: JobProgress, now: float) -> UploadStatus | None:
        """The status to publish now, or None (nothing new, or too soon: kept as dirty)."""
        if not is_publishable(progress):
            return None
        job = progress.job_id
        status = to_status(progress, datetime.now(UTC))
        fingerprint = _fingerprint(status)
        if self.last_status.get(job) == fingerprint:
            self.dirty.pop(job, None)
            return None
        if not should_publish(self.last_at.get(job), now, status.is_final, self.min_interval):
            self.dirty[job] = progress
            return None
        self.dirty.pop(job, None)
        self.last_status.remember(job, fingerprint)
        if status.is_final:  # no more updates will come: only the fingerprint is kept
            self.last_at.pop(job, None)
        else:
            self.last_at.remember(job, now)
        return status

    def forget(self, job_id: str) -> None:
        """A job let go by the aggregator's table: nothing of it is kept here either."""
        self.last_at.pop(job_id, None)
        self.last_status.pop(job_id, None)
        self.outcomes_sent.pop(job_id, None)
        self.dirty.pop(job_id, None)

    def reloaded(self, progress: JobProgress) -> None:
        """A job back from the database: its stored status and outcome went out already, so
        a record that changes nothing publishes nothing and job.completed is not sent twice."""
        if not is_publishable(progress):
            return
        status = to_status(progress, datetime.now(UTC))
        self.last_status.remember(progress.job_id, _fingerprint(status))
        event = job_outcome_event(progress)
        if event is not None:
            self.outcomes_sent.remember(progress.job_id, event.revision)

    def outcome(self, progress: JobProgress) -> JobOutcomeEvent | None:
        """The event of the job's outcome, once per revision (a restarted aggregator may
        send one again: the same revision with the same outcome)."""
        event = job_outcome_event(progress)
        if event is None or self.outcomes_sent.get(progress.job_id, 0) >= event.revision:
            return None
        self.outcomes_sent.remember(progress.job_id, event.revision)
        return event


def should_publish(
    last_published_at: float | None, now: float, is_final: bool, min_interval: float = 0.25
) -> bool:
    """At most a few updates a second per job, but never drop the final one."""
    return is_final or last_published_at is None or now - last_published_at >= min_interval


def job_outcome_event(p: JobProgress) -> JobOutcomeEvent | None:
    """The event of the job's current outcome (job.completed / job.failed for the first,
    job.revised for a change of it), or None while the job is not final."""
    p = settle(p) if is_publishable(p) else p
    if p.outcome is None:
        return None
    assert p.tenant and p.dataset and p.submitted_at
    now, before = p.outcome, p.previous_outcome
    if before is not None:
        kind: OutcomeType = "job.revised"
    else:
        kind = "job.failed" if now.state == "failed" else "job.completed"
    return JobOutcomeEvent(
        type=kind,
        job_id=p.job_id,
        tenant=p.tenant,
        dataset=p.dataset,
        revision=p.revision,
        **now.model_dump(),
        corrects=p.corrects,
        previous_state=before.state if before else None,
        previous_rows_ok=before.rows_ok if before else None,
        previous_rows_failed=before.rows_failed if before else None,
        at=finished_at(p, now.state) or p.last_chunk_at or p.submitted_at,
    )


def _fingerprint(status: UploadStatus) -> str:
    """A status without its figures of speed, which change on every look."""
    return status.model_dump_json(exclude={"rows_per_second", "eta_seconds"})
