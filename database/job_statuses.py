"""Every job's status in ``bulkflow_job_status``: what the API answers for a job that is no
longer in its memory, and what the aggregator reloads a job from after letting it go.

The API inserts a job's queued status when it accepts the upload; the aggregator writes its
statuses from then on, with the progress it folds. Both are stored as the models' JSON, so
this module never names a field of theirs beyond the ones it indexes. A write never moves a
job back (``is_step_back``): a late or replayed status leaves a newer one as it is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from database.tables import job_statuses
from schemas.records import UploadStatus, is_step_back

# statements stay well below SQLite's 32,766 bound parameters
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class StatusWrite:
    """One job's status to store, with the aggregator's progress JSON (None from the API)."""

    status: UploadStatus
    progress_json: str | None = None


def _insert(bind: Engine | Connection) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (PostgreSQL's and SQLite's alike)."""
    return pg_insert if bind.dialect.name == "postgresql" else sqlite_insert


def _row(write: StatusWrite, now: datetime) -> dict[str, object]:
    status = write.status
    return {
        "job_id": status.job_id,
        "tenant": status.tenant,
        "dataset": status.dataset,
        "submitted_at": status.submitted_at,
        "state": status.state,
        # a final status always has an end, which retention and the spool's eviction go by
        "finished_at": (status.finished_at or now) if status.is_final else None,
        "updated_at": now,
        "status": status.model_dump_json(),
        "progress": write.progress_json,
    }


def record_queued(engine: Engine, status: UploadStatus) -> None:
    """The API's first status of a job; never replaces what the aggregator wrote."""
    statement = _insert(engine)(job_statuses).values(_row(StatusWrite(status), datetime.now(UTC)))
    with engine.begin() as conn:
        conn.execute(statement.on_conflict_do_nothing(index_elements=["job_id"]))


def save_statuses(engine: Engine, writes: Sequence[StatusWrite]) -> int:
    """Store the jobs' statuses in one transaction; a status older than the stored one is
    left out. Idempotent. Returns how many rows were written."""
    latest: dict[str, StatusWrite] = {w.status.job_id: w for w in writes}
    if not latest:
        return 0
    now = datetime.now(UTC)
    with engine.begin() as conn:
        stored = _stored_statuses(conn, list(latest))
        rows = [
            _row(w, now)
            for job_id, w in latest.items()
            if not is_step_back(stored.get(job_id), w.status)
        ]
        if rows:
            insert = _insert(conn)(job_statuses)
            changing = ("state", "finished_at", "updated_at", "status")
            statement = insert.on_conflict_do_update(
                index_elements=["job_id"],
                set_={
                    **{c: insert.excluded[c] for c in changing},
                    # a status from the API carries no progress: keep the aggregator's
                    "progress": sa.func.coalesce(insert.excluded.progress, job_statuses.c.progress),
                },
            )
            conn.execute(statement, rows)
    return len(rows)


def _stored_statuses(conn: Connection, job_ids: list[str]) -> dict[str, UploadStatus]:
    found = _column_of(conn, job_statuses.c.status, job_ids)
    return {job_id: UploadStatus.model_validate_json(text) for job_id, text in found.items()}


def get_status(engine: Engine, job_id: str) -> UploadStatus | None:
    query = sa.select(job_statuses.c.status).where(job_statuses.c.job_id == job_id)
    with engine.connect() as conn:
        text = conn.execute(query).scalar_one_or_none()
    return None if text is None else UploadStatus.model_validate_json(text)


def list_statuses(
    engine: Engine, tenant: str, limit: int, offset: int
) -> tuple[list[UploadStatus], int]:
    """One page of the tenant's jobs, newest first by submitted_at, and their total."""
    where = job_statuses.c.tenant == tenant
    page = (
        sa.select(job_statuses.c.status)
        .where(where)
        .order_by(job_statuses.c.submitted_at.desc(), job_statuses.c.job_id.desc())
        .limit(limit)
        .offset(offset)
    )
    count = sa.select(sa.func.count()).select_from(job_statuses).where(where)
    with engine.connect() as conn:
        items = [UploadStatus.model_validate_json(t) for t in conn.execute(page).scalars()]
        total = int(conn.execute(count).scalar_one())
    return items, total


def _column_of(
    bind: Engine | Connection, column: sa.Column[Any], job_ids: Iterable[str]
) -> dict[str, Any]:
    """``column`` of the jobs whose value there is not NULL, asked in batches."""
    wanted = list(dict.fromkeys(job_ids))
    found: dict[str, Any] = {}
    with bind.connect() if isinstance(bind, Engine) else contextlib.nullcontext(bind) as conn:
        for start in range(0, len(wanted), LOOKUP_BATCH):
            query = sa.select(job_statuses.c.job_id, column).where(
                job_statuses.c.job_id.in_(wanted[start : start + LOOKUP_BATCH]),
                column.is_not(None),
            )
            found.update({job_id: value for job_id, value in conn.execute(query)})
    return found


def load_progress(engine: Engine, job_ids: Iterable[str]) -> dict[str, str]:
    """The aggregator's stored progress JSON of the jobs that have one."""
    return _column_of(engine, job_statuses.c.progress, job_ids)


def ended_jobs(engine: Engine, job_ids: Iterable[str]) -> dict[str, datetime]:
    """When each of the jobs that have ended ended; running and unknown jobs are left out."""
    return _column_of(engine, job_statuses.c.finished_at, job_ids)


def errors_purged_at(engine: Engine, job_id: str) -> datetime | None:
    """When retention removed the job's row errors (None: it has not)."""
    query = sa.select(job_statuses.c.errors_purged_at).where(job_statuses.c.job_id == job_id)
    with engine.connect() as conn:
        found: datetime | None = conn.execute(query).scalar_one_or_none()
    return found
