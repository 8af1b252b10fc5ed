"""The dataset schemas."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import RegistryDep, TenantDep
from api.http_errors import NotFound, error_responses
from api.models import DatasetDetail, DatasetList
from schemas.cell_rules import cell_json_schema
from schemas.result_schema import arrow_schema_description, result_row_json_schema

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])


@router.get("", response_model=DatasetList, responses=error_responses(401, 500))
async def list_datasets(_tenant: TenantDep, registry: RegistryDep) -> DatasetList:
    return DatasetList(datasets=registry.all())


@router.get("/{name}", response_model=DatasetDetail, responses=error_responses(401, 404, 422, 500))
async def get_dataset(name: str, _tenant: TenantDep, registry: RegistryDep) -> DatasetDetail:
    known = registry.names()
    if name not in known:
        raise NotFound(f"unknown dataset {name!r} (known: {', '.join(known) or 'none'})")
    dataset = registry.get(name)  # a broken dataset file is a server error (500)
    return DatasetDetail(
        **dataset.model_dump(),
        result_row_json_schema=result_row_json_schema(dataset),
        result_chunk_arrow_schema=arrow_schema_description(dataset),
        cell_json_schema=cell_json_schema(dataset),
    )
