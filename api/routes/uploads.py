"""Uploads: accept one, read one's status, list the tenant's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.accept_upload import accept_upload
from api.deps import StateDep, TenantDep
from api.http_errors import error_responses
from api.job_status import find_job, list_jobs
from api.models import UploadAccepted, UploadList, upload_form_openapi
from schemas.records import UploadStatus

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])


@router.post(
    "",
    status_code=202,
    response_model=UploadAccepted,
    summary="Upload a spreadsheet (multipart: file, dataset, optional sheet)",
    responses=error_responses(400, 401, 409, 413, 415, 422, 503),
    openapi_extra=upload_form_openapi(),
)
async def create_upload(
    request: Request,
    response: Response,
    tenant: TenantDep,
    state: StateDep,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="the same key returns the same job"),
    ] = None,
) -> UploadAccepted:
    body = await accept_upload(request, state, tenant, idempotency_key)
    response.headers["Location"] = body.status_url
    return body


@router.get(
    "",
    response_model=UploadList,
    summary="The tenant's uploads, newest first",
    responses=error_responses(401, 422, 503),
)
async def list_uploads(
    tenant: TenantDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UploadList:
    items, total = await list_jobs(state, tenant, limit, offset)
    return UploadList(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/{job_id}",
    response_model=UploadStatus,
    summary="The status of one upload",
    responses=error_responses(401, 404, 422, 503),
)
async def get_upload(job_id: str, tenant: TenantDep, state: StateDep) -> UploadStatus:
    return await find_job(state, tenant, job_id)
