"""Live events (server-sent events): of one upload, and of all the tenant's uploads."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import StateDep, TenantDep
from api.http_errors import error_responses
from api.job_status import find_job, status_events, tenant_events
from api.models import body_openapi

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get(
    "/events",
    response_class=StreamingResponse,
    summary="Server-sent events: every status change of any of the tenant's uploads",
    responses={
        **body_openapi(
            "text/event-stream", "`data: <UploadStatus JSON>` events, until the client leaves"
        ),
        **error_responses(401),
    },
)
async def tenant_upload_events(tenant: TenantDep, state: StateDep) -> StreamingResponse:
    return StreamingResponse(
        tenant_events(state.view, tenant, state.keepalive_s),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    summary="Server-sent events: the status on every change, until the job ends",
    responses={
        **body_openapi("text/event-stream", "`data: <UploadStatus JSON>` events"),
        **error_responses(401, 404, 422, 503),
    },
)
async def upload_events(job_id: str, tenant: TenantDep, state: StateDep) -> StreamingResponse:
    first = await find_job(state, tenant, job_id)
    return StreamingResponse(
        status_events(state.view, first, state.keepalive_s),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )
