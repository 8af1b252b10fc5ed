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
    """A page of the row errors of an upload, by row then column."""

    items: list[RowError]
    limit: int
    offset: int = 0
    more: bool = Field(description="there are more errors than these: see the CSV report")


class InvalidRow(BaseModel):
    row: int = Field(description="the row's number in the file")
    cells: dict[str, str | None] = Field(description="dataset column -> the cell as given")
    errors: list[RowError]


class Correction(BaseModel):
    job_id: str = Field(description="the correction upload")
    filename: str | None = None
    rows: int = Field(description="rows of this upload it saved")


class InvalidRowPage(BaseModel):
    """The rows of an upload still invalid (no correction saved them), a page at a time."""

    items: list[InvalidRow]
    total: int = Field(description="rows still invalid, in all pages")
    offset: int
    limit: int
    rows_corrected: int = Field(description="invalid rows that corrections have saved")
    corrections: list[Correction]


class MappingConfirm(BaseModel):
    """A person's column mapping for an upload in needs_mapping."""

    mapping: dict[str, str] = Field(
        description="dataset column -> the file's header (the preview's file_columns)"
    )
    remember: bool = Field(
        True,
        description="save it for this tenant and dataset: offered first next time, applied "
        "without asking to a file with the same header",
    )


class Me(BaseModel):
    tenant: str = Field(description="the tenant the API key belongs to")


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
    cell_json_schema: dict[str, Any] = Field(
        description="JSON Schema of one row as cell text, with each column's rules in words "
        "(description) and an example: what the upload page checks corrections with"
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
    dataset: str | None = Field(
        None,
        min_length=1,
        description="the dataset the rows belong to (required, but for a correction: the "
        "corrected upload's)",
    )
    sheet: str | None = Field(
        None,
        description="the sheet to read (default: the first sheet whose header fits the dataset)",
    )
    locale: str | None = Field(
        None,
        description="how the file's text writes numbers, dates and true/false, as a BCP 47 "
        "tag (de-DE, fr-FR, en-US; GET /v1/locales lists them); default: for a correction, "
        "the locale the corrected upload was read by; else the dataset's locale, else "
        "detected from the file",
    )
    encoding: str | None = Field(
        None,
        description="the text encoding of a CSV or JSON Lines file (windows-1251, shift_jis, "
        "mac_roman, ...); default: a byte-order mark's, else UTF-8, else the legacy code page "
        "the text reads in (the locale's language's, when it names one)",
    )
    mapping: str | None = Field(
        None,
        description='a column mapping, JSON: {"order_id": "Order #", ...} (dataset column -> '
        "the file's header); the columns it leaves out are found by name",
    )
    corrects: str | None = Field(
        None,
        description="the job whose invalid rows this file corrects: CSV or JSON Lines with a "
        "row_no (or row) column holding each row's number there, and the dataset's columns",
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


class LocaleInfo(BaseModel):
    """A reading locale: how text written in it is read."""

    tag: str = Field(description="BCP 47, as the locale form field takes it")
    name: str
    reads: str = Field(description="e.g. 'decimal comma, day-first dates'")
    example_number: str = Field(description="1234.56 as it writes it")
    date_forms: list[str] = Field(description="its date forms, besides YYYY-MM-DD")
    true_words: list[str] = Field(description="besides true, t, yes, y, 1")
    false_words: list[str] = Field(description="besides false, f, no, n, 0")


class LocaleList(BaseModel):
    locales: list[LocaleInfo]
    languages: dict[str, str] = Field(description="a language alone, and the locale it means")
