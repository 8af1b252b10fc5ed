"""The dataset schemas."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import RegistryDep, TenantDep
from api.errors import NotFound, error_responses
from api.models import DatasetList
from schemas.dataset import Dataset

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])


@router.get("", response_model=DatasetList, responses=error_responses(401, 500))
async def list_datasets(_tenant: TenantDep, registry: RegistryDep) -> DatasetList:
    return DatasetList(datasets=registry.all())


@router.get("/{name}", response_model=Dataset, responses=error_responses(401, 404, 422, 500))
async def get_dataset(name: str, _tenant: TenantDep, registry: RegistryDep) -> Dataset:
    known = registry.names()
    if name not in known:
        raise NotFound(f"unknown dataset {name!r} (known: {', '.join(known) or 'none'})")
    return registry.get(name)  # a broken dataset file is a server error (500)
