"""The row errors of one upload: all of them as CSV, the first ones as JSON (the upload
page's error table)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, TenantDep
from api.http_errors import error_responses
from api.job_status import find_job
from api.models import RowErrorPage
from api.row_error_reports import error_csv, first_row_errors

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


@router.get(
    "/{job_id}/errors",
    response_class=StreamingResponse,
    summary="The row errors as CSV: row, column, value, message; first a line per "
    "dead-lettered row range",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "CSV; formula-like cells are neutralised with a leading quote; "
            "a dead-lettered range has the row N–M and no column",
        },
        **error_responses(401, 404, 422, 503),
    },
)
async def upload_errors(job_id: str, tenant: TenantDep, state: StateDep) -> StreamingResponse:
    status = find_job(state.view, tenant, job_id)
    return StreamingResponse(
        error_csv(state.engine, job_id, tenant, status.dead_letters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{job_id}-errors.csv"'},
    )


@router.get(
    "/{job_id}/errors.json",
    response_model=RowErrorPage,
    summary="The first row errors as JSON (all of them: the CSV at /errors)",
    responses=error_responses(401, 404, 422, 503),
)
async def upload_error_rows(
    job_id: str,
    tenant: TenantDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RowErrorPage:
    find_job(state.view, tenant, job_id)
    engine = await run_in_threadpool(state.engine)
    items, more = await run_in_threadpool(first_row_errors, engine, job_id, tenant, limit)
    return RowErrorPage(items=items, limit=limit, more=more)
