"""Reading one job: its status for a tenant, its live events, its row-error report."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterator

from sqlalchemy import Engine

from api.errors import NotFound, ServiceUnavailable
from api.progress_view import ProgressView
from database.reports import iter_row_errors
from schemas.records import UploadStatus

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 1000


def find_job(view: ProgressView, tenant: str, job_id: str) -> UploadStatus:
    """The tenant's job; another tenant's job is as unknown as a missing one (404)."""
    status = view.get(job_id)
    if status is None or status.tenant != tenant:
        if not view.caught_up:
            raise ServiceUnavailable("the status view is still catching up; retry shortly")
        raise NotFound(f"no upload {job_id}")
    return status


async def status_events(view: ProgressView, job_id: str, keepalive_s: float) -> AsyncIterator[str]:
    """Server-sent events: the current status, then each change, until a final state."""
    version, status = view.snapshot(job_id)
    while status is not None:
        yield f"data: {status.model_dump_json()}\n\n"
        if status.is_final:
            return
        while not await view.wait_change(job_id, version, keepalive_s):
            yield ": keep-alive\n\n"
        version, status = view.snapshot(job_id)


def neutralise(cell: object) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def locale_cell(status: UploadStatus) -> str:
    """Which locale read the job's text, and how it came to: 'de-DE (detected)', 'none'."""
    if status.locale is None:
        return "none"
    how = {"dataset": "the dataset's"}.get(status.locale_source or "", status.locale_source)
    return f"{status.locale} ({how})"


def error_csv(engine: Callable[[], Engine], status: UploadStatus) -> Iterator[str]:
    """The row errors as CSV, in batches (blocking: Starlette iterates it in a thread); the
    last column says by which locale the values were read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "message", "locale"])
    read_by = locale_cell(status)
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
