"""The public topics as an AsyncAPI 3.0 document (messaging/asyncapi.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import RegistryDep, StateDep, TenantDep
from api.http_errors import error_responses
from messaging.asyncapi import asyncapi_document

router = APIRouter(prefix="/v1", tags=["datasets"])


@router.get(
    "/asyncapi.json",
    summary="The AsyncAPI 3.0 document of the topics downstream systems read",
    responses=error_responses(401, 500),
)
async def get_asyncapi(
    _tenant: TenantDep, registry: RegistryDep, state: StateDep
) -> dict[str, Any]:
    return asyncapi_document(state.settings, registry.all())
