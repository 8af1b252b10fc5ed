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

from database.reports import iter_row_errors
from schemas.records import DeadLetterRange, RowError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 1000


def first_row_errors(
    engine: Engine, job_id: str, tenant: str, limit: int
) -> tuple[list[RowError], bool]:
    """Up to ``limit`` errors by row then column, and whether there are more (blocking)."""
    # closing() ends the streamed query (and gives its connection back) once enough are read
    streamed = cast(Generator[RowError, None, None], iter_row_errors(engine, job_id, tenant))
    with closing(streamed) as errors:
        found = list(islice(errors, limit + 1))
    return found[:limit], len(found) > limit


def neutralise(cell: object) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def error_csv(
    engine: Callable[[], Engine],
    job_id: str,
    tenant: str,
    dead_letters: list[DeadLetterRange] = (),  # type: ignore[assignment]
) -> Iterator[str]:
    """The row errors as CSV, in batches (blocking: Starlette iterates it in a thread):
    first a line per dead-lettered range (row "N–M", no column), then every row error."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "message"])
    for d in dead_letters:
        writer.writerow([f"{d.first_row}–{d.last_row}", "", "", neutralise(d.describe())])
    for count, err in enumerate(iter_row_errors(engine(), job_id, tenant), start=1):
        writer.writerow(
            [err.row, neutralise(err.column), neutralise(err.value), neutralise(err.message)]
        )
        if count % CSV_BATCH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
