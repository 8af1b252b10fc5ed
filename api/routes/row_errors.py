"""The row errors of one upload: all of them as CSV, a page of them as JSON, and its rows
still invalid (the upload page's error table, where a person corrects them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, TenantDep
from api.http_errors import Gone, error_responses
from api.job_status import find_job
from api.models import InvalidRowPage, RowErrorPage, attachment, body_openapi
from api.row_error_reports import error_csv, first_row_errors, invalid_row_page
from api.state import AppState
from database.job_statuses import errors_purged_at

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


@router.get(
    "/{job_id}/errors",
    response_class=StreamingResponse,
    summary="The row errors as CSV: row, column, value, message, locale; first a line per "
    "dead-lettered row range",
    responses={
        **body_openapi(
            "text/csv",
            "CSV; formula-like cells are neutralised with a leading quote; a dead-lettered "
            "range has the row N–M and no column",
        ),
        **error_responses(401, 404, 410, 422, 503),
    },
)
async def upload_errors(job_id: str, tenant: TenantDep, state: StateDep) -> StreamingResponse:
    status = await find_job(state, tenant, job_id)
    await refuse_purged(state, job_id)
    return StreamingResponse(
        error_csv(state.engine, status),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{job_id}-errors.csv"),
    )


@router.get(
    "/{job_id}/errors.json",
    response_model=RowErrorPage,
    summary="The first row errors as JSON (all of them: the CSV at /errors)",
    responses=error_responses(401, 404, 410, 422, 503),
)
async def upload_error_rows(
    job_id: str,
    tenant: TenantDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RowErrorPage:
    await find_job(state, tenant, job_id)
    await refuse_purged(state, job_id)
    engine = await run_in_threadpool(state.engine)
    items, more = await run_in_threadpool(first_row_errors, engine, job_id, tenant, limit, offset)
    return RowErrorPage(items=items, limit=limit, offset=offset, more=more)


@router.get(
    "/{job_id}/invalid-rows",
    response_model=InvalidRowPage,
    summary="The rows still invalid, whole, with their errors; and the corrections so far",
    responses=error_responses(401, 404, 410, 422, 503),
)
async def upload_invalid_rows(
    job_id: str,
    tenant: TenantDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InvalidRowPage:
    await find_job(state, tenant, job_id)
    await refuse_purged(state, job_id)
    return await run_in_threadpool(invalid_row_page, state, job_id, tenant, limit, offset)


async def refuse_purged(state: AppState, job_id: str) -> None:
    """410 for a job whose row errors and invalid rows retention removed (an empty report
    would mislead)."""
    purged = await run_in_threadpool(lambda: errors_purged_at(state.engine(), job_id))
    if purged is not None:
        raise Gone(
            f"the row errors of upload {job_id} were removed on {purged:%Y-%m-%d} by the "
            "dataset's retention; the counts in its status remain"
        )
