"""Live events and the row-error report of one upload."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import StateDep, TenantDep
from api.errors import error_responses
from api.jobs import error_csv, find_job, status_events

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    summary="Server-sent events: the status on every change, until the job ends",
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "`data: <UploadStatus JSON>` events",
        },
        **error_responses(401, 404, 422, 503),
    },
)
async def upload_events(job_id: str, tenant: TenantDep, state: StateDep) -> StreamingResponse:
    find_job(state.view, tenant, job_id)
    return StreamingResponse(
        status_events(state.view, job_id, state.keepalive_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{job_id}/errors",
    response_class=StreamingResponse,
    summary="The row errors as CSV: row, column, value, message, locale",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "CSV; formula-like cells are neutralised with a leading quote",
        },
        **error_responses(401, 404, 422, 503),
    },
)
async def upload_errors(job_id: str, tenant: TenantDep, state: StateDep) -> StreamingResponse:
    status = find_job(state.view, tenant, job_id)
    return StreamingResponse(
        error_csv(state.engine, status),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{job_id}-errors.csv"'},
    )
