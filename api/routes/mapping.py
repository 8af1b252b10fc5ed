"""Column mapping: confirm one for an upload paused in needs_mapping (its preview is in the
upload's status, ``mapping_preview``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.confirm_mapping import confirm_mapping
from api.deps import StateDep, TenantDep
from api.http_errors import error_responses
from api.job_status import find_job
from api.models import MappingConfirm
from schemas.records import UploadStatus

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


@router.post(
    "/{job_id}/mapping",
    status_code=202,
    response_model=UploadStatus,
    summary="Confirm the column mapping of an upload in needs_mapping; it goes on at once",
    responses=error_responses(401, 404, 409, 422, 503),
)
async def confirm_upload_mapping(
    job_id: str, body: MappingConfirm, tenant: TenantDep, state: StateDep
) -> UploadStatus:
    status = await find_job(state, tenant, job_id)
    return await run_in_threadpool(confirm_mapping, state, status, body)
