"""The first row errors of one upload as JSON, for the upload page's error table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, TenantDep
from api.errors import error_responses
from api.jobs import find_job
from api.models import RowErrorPage
from api.row_errors import first_row_errors

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


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
