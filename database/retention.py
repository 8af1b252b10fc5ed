"""Retention of bookkeeping rows, in small batches: each DELETE takes at most ``BATCH_ROWS``
rows in a transaction of its own, so no lock is held for long and the workers' chunk
transactions go on between batches (``bulkflow gc``, ops/gc.py, decides the cut-offs).

* row errors of a dataset's jobs that finished before a moment, with the jobs' invalid rows
  and the record of which of them corrections saved (the job's status and counts stay;
  ``errors_purged_at`` says they went);
* dead letters of a dataset whose last failure is older than a moment;
* chunk ledger rows processed before a moment, except a chunk that still has a dead letter
  (the letter would look unresolved, and a redrive would write the chunk twice);
* idempotency keys older than their lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from database.tables import (
    corrected_rows,
    dead_letters,
    idempotency,
    invalid_rows,
    job_statuses,
    ledger,
    row_errors,
)

BATCH_ROWS = 5_000
BATCH_JOBS = 200


def _delete_in_batches(engine: Engine, keys: sa.Select[Any], table: sa.Table) -> int:
    """DELETE the rows ``keys`` selects (by their primary key), ``BATCH_ROWS`` at a time,
    each batch its own transaction, until none is left; how many went."""
    columns = list(table.primary_key.columns)
    target = columns[0] if len(columns) == 1 else sa.tuple_(*columns)
    total = 0
    while True:
        statement = table.delete().where(target.in_(keys.limit(BATCH_ROWS)))
        with engine.begin() as conn:
            deleted = int(conn.execute(statement).rowcount)
        total += deleted
        if deleted < BATCH_ROWS:
            return total


def count(engine: Engine, keys: sa.Select[Any]) -> int:
    """How many rows a selection below names (for a dry run)."""
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(keys.subquery())).scalar_one()
        )


def expired_error_jobs(dataset: str, finished_before: datetime) -> sa.Select[Any]:
    """The dataset's finished jobs whose row errors are due, oldest first."""
    return (
        sa.select(job_statuses.c.job_id)
        .where(
            job_statuses.c.dataset == dataset,
            job_statuses.c.errors_purged_at.is_(None),
            job_statuses.c.finished_at < finished_before,
        )
        .order_by(job_statuses.c.finished_at)
    )


# a job's row-level detail, which goes with its row errors: what each table is called in a
# report, and the rows of one job
JOB_DETAIL = {
    "row errors": row_errors,
    "invalid rows": invalid_rows,
    "corrected rows": corrected_rows,
}


def _job_rows(table: sa.Table, jobs: sa.Select[Any] | list[str]) -> sa.Select[Any]:
    """The primary keys of ``table``'s rows of the jobs."""
    return sa.select(*table.primary_key.columns).where(table.c.job_id.in_(jobs))


def expired_job_detail(dataset: str, finished_before: datetime) -> dict[str, sa.Select[Any]]:
    """Per kind of row-level detail (``JOB_DETAIL``), the rows due."""
    jobs = expired_error_jobs(dataset, finished_before).order_by(None)
    return {kind: _job_rows(table, jobs) for kind, table in JOB_DETAIL.items()}


def expired_row_errors(dataset: str, finished_before: datetime) -> sa.Select[Any]:
    return expired_job_detail(dataset, finished_before)["row errors"]


def expired_dead_letters(dataset: str, failed_before: datetime) -> sa.Select[Any]:
    return sa.select(dead_letters.c.job_id, dead_letters.c.chunk_no).where(
        dead_letters.c.dataset == dataset, dead_letters.c.last_failed_at < failed_before
    )


def expired_ledger_rows(processed_before: datetime) -> sa.Select[Any]:
    lettered = sa.exists().where(
        dead_letters.c.job_id == ledger.c.job_id, dead_letters.c.chunk_no == ledger.c.chunk_no
    )
    return sa.select(ledger.c.job_id, ledger.c.chunk_no).where(
        ledger.c.processed_at < processed_before, ~lettered
    )


def expired_idempotency_keys(created_before: datetime) -> sa.Select[Any]:
    return sa.select(idempotency.c.tenant, idempotency.c.key).where(
        idempotency.c.created_at < created_before
    )


def purge_row_errors(
    engine: Engine, dataset: str, finished_before: datetime
) -> tuple[int, dict[str, int]]:
    """The row errors, invalid rows and corrected rows of the dataset's jobs finished before
    the moment: how many jobs, and the rows removed per kind (``JOB_DETAIL``)."""
    jobs = 0
    rows = dict.fromkeys(JOB_DETAIL, 0)
    while True:
        with engine.connect() as conn:
            query = expired_error_jobs(dataset, finished_before).limit(BATCH_JOBS)
            batch = list(conn.execute(query).scalars())
        if not batch:
            return jobs, rows
        for job_id in batch:
            for kind, table in JOB_DETAIL.items():
                rows[kind] += _delete_in_batches(engine, _job_rows(table, [job_id]), table)
        with engine.begin() as conn:
            conn.execute(
                job_statuses.update()
                .where(job_statuses.c.job_id.in_(batch))
                .values(errors_purged_at=datetime.now(UTC))
            )
        jobs += len(batch)


def purge_dead_letters(engine: Engine, dataset: str, failed_before: datetime) -> int:
    return _delete_in_batches(engine, expired_dead_letters(dataset, failed_before), dead_letters)


def purge_ledger(engine: Engine, processed_before: datetime) -> int:
    return _delete_in_batches(engine, expired_ledger_rows(processed_before), ledger)


def purge_idempotency_keys(engine: Engine, created_before: datetime) -> int:
    return _delete_in_batches(engine, expired_idempotency_keys(created_before), idempotency)


@dataclass(frozen=True)
class TableSize:
    table: str
    rows: int  # PostgreSQL: the statistics' estimate (exact counts of big tables are slow)
    bytes: int | None  # with its indexes; None where the database cannot tell (SQLite)


BOOKKEEPING_TABLES = (
    ledger,
    row_errors,
    invalid_rows,
    corrected_rows,
    dead_letters,
    idempotency,
    job_statuses,
)


def bookkeeping_sizes(engine: Engine) -> tuple[list[TableSize], int | None]:
    """Each bookkeeping table's rows and bytes, and the whole database's bytes."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            sizes = []
            for t in BOOKKEEPING_TABLES:
                rows = int(conn.execute(_PG_ROWS, {"name": t.name}).scalar_one_or_none() or 0)
                size = int(conn.execute(_PG_BYTES, {"name": t.name}).scalar_one() or 0)
                sizes.append(TableSize(t.name, rows, size))
            total = int(
                conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
            )
            return sizes, total
        sizes = [
            TableSize(
                t.name,
                int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()),
                None,
            )
            for t in BOOKKEEPING_TABLES
        ]
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
        return sizes, int(pages) * int(page_size)


# the statistics' live rows: no right on the table is needed (the API role has none on some)
_PG_ROWS = sa.text("SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = to_regclass(:name)")
_PG_BYTES = sa.text("SELECT pg_total_relation_size(to_regclass(:name))")
