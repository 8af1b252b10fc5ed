"""Live events of one upload (server-sent events)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import StateDep, TenantDep
from api.http_errors import error_responses
from api.job_status import find_job, status_events

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
    first = await find_job(state, tenant, job_id)
    return StreamingResponse(
        status_events(state.view, first, state.keepalive_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
