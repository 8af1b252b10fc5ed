"""Request and response models of the HTTP API (statuses reuse schemas.records.UploadStatus)."""

from __future__ import annotations

from typing import Any, Literal

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


class DatasetCompatibility(BaseModel):
    """How migrating a dataset would read for the consumers of its results topic."""

    dataset: str
    topic: str = Field(description="its results topic, under the deployment's prefix")
    level: Literal["FULL", "BACKWARD", "FORWARD", "NONE"] | None = Field(
        description="Confluent's terms; null for a dataset with nothing recorded yet"
    )
    changes: list[str] = Field(description="each change, with its own level")
    allowed: bool = Field(description="whether a migration takes it (FULL, or a new major)")
    summary: str


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
