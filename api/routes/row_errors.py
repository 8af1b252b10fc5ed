"""The row errors of one upload: all of them as CSV, the first ones as JSON (the upload
page's error table)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, TenantDep
from api.http_errors import Gone, error_responses
from api.job_status import find_job
from api.models import RowErrorPage
from api.row_error_reports import error_csv, first_row_errors
from api.state import AppState
from database.job_statuses import errors_purged_at

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


@router.get(
    "/{job_id}/errors",
    response_class=StreamingResponse,
    summary="The row errors as CSV: row, column, value, message",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "CSV; formula-like cells are neutralised with a leading quote",
        },
        **error_responses(401, 404, 410, 422, 503),
    },
)
async def upload_errors(job_id: str, tenant: TenantDep, state: StateDep) -> StreamingResponse:
    await find_job(state, tenant, job_id)
    await refuse_purged(state, job_id)
    return StreamingResponse(
        error_csv(state.engine, job_id, tenant),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{job_id}-errors.csv"'},
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
) -> RowErrorPage:
    await find_job(state, tenant, job_id)
    await refuse_purged(state, job_id)
    engine = await run_in_threadpool(state.engine)
    items, more = await run_in_threadpool(first_row_errors, engine, job_id, tenant, limit)
    return RowErrorPage(items=items, limit=limit, more=more)


async def refuse_purged(state: AppState, job_id: str) -> None:
    """410 for a job whose row errors retention removed (an empty report would mislead)."""
    purged = await run_in_threadpool(lambda: errors_purged_at(state.engine(), job_id))
    if purged is not None:
        raise Gone(
            f"the row errors of upload {job_id} were removed on {purged:%Y-%m-%d} by the "
            "dataset's retention; the counts in its status remain"
        )
