"""What the API and the tools read back: a job's row errors, its stored rows, its ledger."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import Engine, select

from database.tables import dataset_table, ledger, row_errors
from schemas.dataset import Dataset
from schemas.records import RowError


def iter_row_errors(engine: Engine, job_id: str, tenant: str) -> Iterator[RowError]:
    """The job's row errors by row then column, streamed (a job may have millions)."""
    query = (
        select(
            row_errors.c.row_no, row_errors.c.column_name, row_errors.c.value, row_errors.c.message
        )
        .where(row_errors.c.job_id == job_id, row_errors.c.tenant == tenant)
        .order_by(row_errors.c.row_no, row_errors.c.column_name, row_errors.c.id)
    )
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=2000).execute(query)
        for row_no, column, value, message in result:
            yield RowError(row=row_no, column=column, value=value, message=message)


def count_rows(engine: Engine, dataset: Dataset, job_id: str) -> int:
    table = dataset_table(dataset)
    with engine.connect() as conn:
        query = select(sa.func.count()).select_from(table).where(table.c.job_id == job_id)
        return int(conn.execute(query).scalar_one())


def ledger_counts(engine: Engine, job_id: str) -> tuple[int, int, int]:
    """(chunks, rows_ok, rows_failed) recorded for a job."""
    query = select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(ledger.c.rows_ok), 0),
        sa.func.coalesce(sa.func.sum(ledger.c.rows_failed), 0),
    ).where(ledger.c.job_id == job_id)
    with engine.connect() as conn:
        chunks, ok, failed = conn.execute(query).one()
    return int(chunks), int(ok), int(failed)
