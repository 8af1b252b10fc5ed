"""Empty templates of a dataset to fill in: its header row as CSV or XLSX."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.dataset_templates import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, template_csv, template_xlsx
from api.deps import RegistryDep, TenantDep
from api.http_errors import NotFound, error_responses
from api.models import attachment, body_openapi
from schemas.dataset import Dataset, DatasetRegistry

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])


def _known(registry: DatasetRegistry, name: str) -> Dataset:
    known = registry.names()
    if name not in known:
        raise NotFound(f"unknown dataset {name!r} (known: {', '.join(known) or 'none'})")
    return registry.get(name)


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers=attachment(filename))


@router.get(
    "/{name}/template.csv",
    response_class=Response,
    summary="An empty CSV template: the dataset's header row",
    responses={
        **body_openapi("text/csv"),
        **error_responses(401, 404, 500),
    },
)
async def dataset_template_csv(name: str, _tenant: TenantDep, registry: RegistryDep) -> Response:
    dataset = _known(registry, name)
    return _attachment(template_csv(dataset), CSV_MEDIA_TYPE, f"{dataset.name}-template.csv")


@router.get(
    "/{name}/template.xlsx",
    response_class=Response,
    summary="An empty XLSX template: the dataset's header row",
    responses={
        **body_openapi(XLSX_MEDIA_TYPE, binary=True),
        **error_responses(401, 404, 500),
    },
)
async def dataset_template_xlsx(name: str, _tenant: TenantDep, registry: RegistryDep) -> Response:
    dataset = _known(registry, name)
    return _attachment(template_xlsx(dataset), XLSX_MEDIA_TYPE, f"{dataset.name}-template.xlsx")
