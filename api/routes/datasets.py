"""The dataset schemas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import RegistryDep, StateDep, TenantDep
from api.http_errors import NotFound, Unprocessable, error_responses
from api.models import DatasetCompatibility, DatasetDetail, DatasetList
from database.migrations import check_dataset
from schemas.cell_rules import cell_json_schema
from schemas.locales import LocaleError
from schemas.result_schema import arrow_schema_description, result_row_json_schema

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])


@router.get("", response_model=DatasetList, responses=error_responses(401, 500))
async def list_datasets(_tenant: TenantDep, registry: RegistryDep) -> DatasetList:
    return DatasetList(datasets=registry.all())


@router.get("/{name}", response_model=DatasetDetail, responses=error_responses(401, 404, 422, 500))
async def get_dataset(
    name: str,
    _tenant: TenantDep,
    registry: RegistryDep,
    locale: Annotated[
        str | None,
        Query(
            description="the reading locale cell_json_schema writes numbers as (de-DE: "
            "1.234,56), an upload's; default: the dataset's"
        ),
    ] = None,
) -> DatasetDetail:
    known = registry.names()
    if name not in known:
        raise NotFound(f"unknown dataset {name!r} (known: {', '.join(known) or 'none'})")
    dataset = registry.get(name)  # a broken dataset file is a server error (500)
    try:
        cells = cell_json_schema(dataset, locale)
    except LocaleError as exc:
        raise Unprocessable(str(exc)) from exc
    return DatasetDetail(
        **dataset.model_dump(),
        result_row_json_schema=result_row_json_schema(dataset),
        result_chunk_arrow_schema=arrow_schema_description(dataset),
        cell_json_schema=cells,
    )


@router.get(
    "/{name}/compatibility",
    response_model=DatasetCompatibility,
    summary="How the dataset's YAML differs from what its table was brought to, for the "
    "consumers of its results topic (BACKWARD, FORWARD, FULL or NONE)",
    responses=error_responses(401, 404, 422, 500),
)
async def get_compatibility(
    name: str, _tenant: TenantDep, registry: RegistryDep, state: StateDep
) -> DatasetCompatibility:
    if name not in registry.names():
        raise NotFound(f"unknown dataset {name!r}")
    dataset = registry.get(name)
    engine = await run_in_threadpool(state.engine)
    check = await run_in_threadpool(check_dataset, engine, dataset)
    verdict = check.verdict
    return DatasetCompatibility(
        dataset=name,
        topic=f"results.{check.topic}",
        level=verdict.level if verdict else None,
        changes=list(verdict.changes) if verdict else [],
        allowed=check.allowed,
        summary=check.describe(),
    )
