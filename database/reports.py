"""What the API and the tools read back: a job's row errors and invalid rows, the rows its
corrections saved, its stored rows, its ledger."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Engine, select

from database.tables import corrected_rows, dataset_table, invalid_rows, ledger, row_errors
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


@dataclass(frozen=True)
class LedgerChunk:
    """What the ledger holds of one written chunk."""

    job_id: str
    chunk_no: int
    rows_ok: int
    rows_failed: int
    rows_repeated: int
    processed_at: datetime


def ledger_chunks(engine: Engine, job_ids: Iterable[str]) -> list[LedgerChunk]:
    """The ledger rows of the jobs named: the chunks written for them."""
    wanted = sorted(set(job_ids))
    c = ledger.c
    found: list[LedgerChunk] = []
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            query = select(
                c.job_id, c.chunk_no, c.rows_ok, c.rows_failed, c.rows_repeated, c.processed_at
            ).where(c.job_id.in_(wanted[start : start + 500]))
            for job_id, chunk_no, ok, failed, repeated, at in conn.execute(query):
                found.append(LedgerChunk(job_id, chunk_no, ok, failed, repeated or 0, at))
    return found


@dataclass(frozen=True)
class InvalidRow:
    """A row of a job still invalid: its cells as the file gave them, and its errors."""

    row: int
    cells: dict[str, str | None]
    errors: list[RowError]


def still_invalid(
    engine: Engine, job_id: str, tenant: str, offset: int, limit: int
) -> tuple[list[InvalidRow], int]:
    """One page of the job's invalid rows that no correction has saved since, by row
    number, and how many there are in all."""
    corrected = select(corrected_rows.c.row_no).where(
        corrected_rows.c.job_id == job_id, corrected_rows.c.tenant == tenant
    )
    mine = (
        row_errors.c.job_id == job_id,
        row_errors.c.tenant == tenant,
        row_errors.c.row_no.not_in(corrected),
    )
    numbers_query = (
        select(row_errors.c.row_no).where(*mine).distinct().order_by(row_errors.c.row_no)
    )
    with engine.connect() as conn:
        total = conn.execute(
            select(sa.func.count(sa.distinct(row_errors.c.row_no))).where(*mine)
        ).scalar_one()
        numbers = list(conn.execute(numbers_query.limit(limit).offset(offset)).scalars())
        if not numbers:
            return [], int(total)
        errors: dict[int, list[RowError]] = {n: [] for n in numbers}
        query = (
            select(
                row_errors.c.row_no,
                row_errors.c.column_name,
                row_errors.c.value,
                row_errors.c.message,
            )
            .where(
                row_errors.c.job_id == job_id,
                row_errors.c.tenant == tenant,
                row_errors.c.row_no.in_(numbers),
            )
            .order_by(row_errors.c.row_no, row_errors.c.id)
        )
        for row_no, column, value, message in conn.execute(query):
            errors[row_no].append(RowError(row=row_no, column=column, value=value, message=message))
        cells_query = select(invalid_rows.c.row_no, invalid_rows.c.cells).where(
            invalid_rows.c.job_id == job_id, invalid_rows.c.row_no.in_(numbers)
        )
        cells = {n: json.loads(text) for n, text in conn.execute(cells_query)}
    items = []
    for n in numbers:
        known = cells.get(n) or {e.column: e.value for e in errors[n]}
        items.append(InvalidRow(row=n, cells=known, errors=errors[n]))
    return items, int(total)


def corrections_of(engine: Engine, job_id: str, tenant: str) -> tuple[list[tuple[str, int]], int]:
    """(correction job, invalid rows of this job it saved) for each correction of the job,
    and how many of the job's invalid rows any correction saved: a row corrected twice is
    one row, a row that was never invalid is none."""
    had_errors = select(row_errors.c.row_no).where(
        row_errors.c.job_id == job_id, row_errors.c.tenant == tenant
    )
    mine = (
        corrected_rows.c.job_id == job_id,
        corrected_rows.c.tenant == tenant,
        corrected_rows.c.row_no.in_(had_errors),
    )
    per_job = (
        select(corrected_rows.c.corrected_by, sa.func.count())
        .where(*mine)
        .group_by(corrected_rows.c.corrected_by)
        .order_by(corrected_rows.c.corrected_by)
    )
    distinct_rows = select(sa.func.count(sa.distinct(corrected_rows.c.row_no))).where(*mine)
    with engine.connect() as conn:
        jobs = [(str(job), int(rows)) for job, rows in conn.execute(per_job)]
        return jobs, int(conn.execute(distinct_rows).scalar_one())
