"""A job's row errors: all of them as CSV, or the first few for a page to show. The CSV
starts with one line per dead-lettered row range (rows not saved at all)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from itertools import islice
from typing import cast

from sqlalchemy import Engine

from api.models import Correction, InvalidRow, InvalidRowPage
from api.state import AppState
from database.job_statuses import get_status
from database.reports import corrections_of, iter_row_errors, still_invalid
from schemas.records import RowError, UploadStatus

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 1000


def first_row_errors(
    engine: Engine, job_id: str, tenant: str, limit: int, offset: int = 0
) -> tuple[list[RowError], bool]:
    """Up to ``limit`` errors by row then column from ``offset`` on, and whether there are
    more (blocking)."""
    # closing() ends the streamed query (and gives its connection back) once enough are read
    streamed = cast(Generator[RowError, None, None], iter_row_errors(engine, job_id, tenant))
    with closing(streamed) as errors:
        found = list(islice(errors, offset, offset + limit + 1))
    return found[:limit], len(found) > limit


def invalid_row_page(
    state: AppState, job_id: str, tenant: str, limit: int, offset: int
) -> InvalidRowPage:
    """The job's rows still invalid, a page of them, with the corrections that saved the
    others (blocking)."""
    engine = state.engine()
    items, total = still_invalid(engine, job_id, tenant, offset, limit)
    corrections = []
    by_job, rows_corrected = corrections_of(engine, job_id, tenant)
    for correction, rows in by_job:
        known = state.view.get(correction) or get_status(engine, correction)
        filename = known.filename if known is not None and known.tenant == tenant else None
        corrections.append(Correction(job_id=correction, filename=filename, rows=rows))
    return InvalidRowPage(
        items=[InvalidRow(row=i.row, cells=i.cells, errors=i.errors) for i in items],
        total=total,
        offset=offset,
        limit=limit,
        rows_corrected=rows_corrected,
        corrections=corrections,
    )


def neutralise(cell: object) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def locale_cell(status: UploadStatus) -> str:
    """Which locale read the job's text, and how it came to: 'de-DE (detected)', 'none'."""
    if status.locale is None:
        return "none"
    how = {"dataset": "the dataset's", "corrected": "from the corrected upload"}.get(
        status.locale_source or "", status.locale_source
    )
    return f"{status.locale} ({how})"


def error_csv(engine: Callable[[], Engine], status: UploadStatus) -> Iterator[str]:
    """The row errors as CSV, in batches (blocking: Starlette iterates it in a thread):
    first a line per dead-lettered range (row "N–M", no column), then every row error; the
    last column says by which locale the values were read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "message", "locale"])
    read_by = locale_cell(status)
    for d in status.dead_letters:
        where = f"{d.first_row}–{d.last_row}"
        writer.writerow([where, "", "", neutralise(d.describe()), read_by])
    for count, err in enumerate(iter_row_errors(engine(), status.job_id, status.tenant), start=1):
        writer.writerow(
            [
                err.row,
                neutralise(err.column),
                neutralise(err.value),
                neutralise(err.message),
                read_by,
            ]
        )
        if count % CSV_BATCH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
