"""Request and response models of the HTTP API (statuses reuse schemas.records.UploadStatus)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from schemas.dataset import Dataset
from schemas.records import JobState, RowError, UploadStatus
from schemas.settings import Tier


class UploadAccepted(BaseModel):
    """The answer to an accepted upload (202)."""

    job_id: str
    tier: Tier
    state: JobState = "queued"
    status_url: str
    events_url: str
    errors_url: str
    replayed: bool = Field(
        False, description="true when an Idempotency-Key answered with the job it made before"
    )


class UploadList(BaseModel):
    """One page of the tenant's uploads, newest first."""

    items: list[UploadStatus]
    total: int = Field(description="the tenant's uploads in all pages")
    limit: int
    offset: int


class RowErrorPage(BaseModel):
    """The first row errors of an upload, by row then column."""

    items: list[RowError]
    limit: int
    more: bool = Field(description="there are more errors than these: see the CSV report")


class DatasetList(BaseModel):
    datasets: list[Dataset]


class DatasetDetail(Dataset):
    """A dataset with the schemas of its result records, for code generation."""

    result_row_json_schema: dict[str, Any] = Field(
        description="JSON Schema of one record's value on results.<dataset>, encoding json"
    )
    result_chunk_arrow_schema: dict[str, Any] = Field(
        description="the Arrow schema of a result chunk, encoding arrow: fields with their "
        "Arrow type strings and nullability"
    )


class HealthBody(BaseModel):
    status: str = "ok"


class ReadyBody(BaseModel):
    status: str = Field(description="ready, or not ready")
    missing: list[str] = Field(default_factory=list, description="what keeps it from ready")


class UploadCreate(BaseModel):
    """The multipart form of POST /v1/uploads (the body is parsed as it streams)."""

    file: bytes = Field(
        description="the spreadsheet: CSV, XLSX (or .xlsm, .xlsb, .xls, .ods), Parquet or JSONL"
    )
    dataset: str = Field(min_length=1, description="the dataset the rows belong to")
    sheet: str | None = Field(
        None,
        description="the sheet to read (default: the first sheet whose header fits the dataset)",
    )


def upload_form_openapi() -> dict[str, object]:
    schema = UploadCreate.model_json_schema()
    described = schema["properties"]["file"]["description"]
    schema["properties"]["file"] = {"type": "string", "format": "binary", "description": described}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


def body_openapi(
    media_type: str, description: str = "", *, binary: bool = False
) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses=`` of a 200 whose body is text (or bytes) of ``media_type``."""
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    ok: dict[str, object] = {"content": {media_type: {"schema": schema}}}
    if description:
        ok["description"] = description
    return {200: ok}


def attachment(filename: str) -> dict[str, str]:
    """The headers that make a browser save the body as ``filename``."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
