"""Who the API key belongs to: the page shows the tenant it is signed in as."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import TenantDep
from api.http_errors import error_responses
from api.models import Me

router = APIRouter(prefix="/v1", tags=["account"])


@router.get(
    "/me", response_model=Me, summary="The tenant of the API key", responses=error_responses(401)
)
async def me(tenant: TenantDep) -> Me:
    return Me(tenant=tenant)
