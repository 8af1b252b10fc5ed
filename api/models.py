"""Request and response models of the HTTP API (statuses reuse schemas.records.UploadStatus)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.dataset import Dataset
from schemas.records import JobState, UploadStatus
from schemas.settings import Tier


class UploadAccepted(BaseModel):
    """The answer to an accepted upload (202)."""

    job_id: str
    tier: Tier
    state: JobState = "queued"
    status_url: str
    events_url: str
    errors_url: str


class UploadList(BaseModel):
    """One page of the tenant's uploads, newest first."""

    items: list[UploadStatus]
    total: int = Field(description="the tenant's uploads in all pages")
    limit: int
    offset: int


class DatasetList(BaseModel):
    datasets: list[Dataset]


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
