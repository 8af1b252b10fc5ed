"""Kafka headers of chunk, result, dead-letter and blob records: their names, the content
types of result records, and a chunk's headers as one value."""

from __future__ import annotations

from dataclasses import dataclass

H_JOB_ID = "job_id"
H_CHUNK_NO = "chunk_no"
H_FIRST_ROW = "first_row_no"
H_ROW_COUNT = "row_count"
H_DATASET = "dataset"
H_TENANT = "tenant"
H_CORRECTS = "corrects"
H_SCHEMA_VERSION = "schema_version"
H_ERROR = "error"
H_ERROR_STAGE = "error_stage"
H_SOURCE_TOPIC = "source_topic"
# headers of result records (the downstream contract, docs/topics.md)
H_ROW = "row"
H_REPLAY_ID = "replay_id"
H_CONTENT_TYPE = "content-type"
H_COMPRESSION = "compression"
# headers of an uploads-blobs record (its key is the job id)
H_BLOB_PART = "blob_part"
RESULTS_SCHEMA_VERSION = "1"
ARROW_STREAM_CONTENT_TYPE = "application/vnd.apache.arrow.stream"
JSON_CONTENT_TYPE = "application/json"
# The chunk's columns that carry typed cells (numbers, booleans, dates as the spreadsheet held
# them), comma-separated; absent when every column is text. The Arrow schema says the same by
# its field types; the header lets tools (DLQ listings, logs) see it without decoding.
H_TYPED_COLUMNS = "typed_columns"
# The reading locale of the chunk's text cells (absent: none); a replay reads them alike.
H_LOCALE = "locale"
DLQ_HEADERS = frozenset({H_ERROR, H_ERROR_STAGE, H_SOURCE_TOPIC})

KafkaHeaders = list[tuple[str, bytes]]


@dataclass(frozen=True)
class ChunkHeaders:
    """Headers of a chunk record; the Arrow batch carries the rows themselves."""

    job_id: str
    chunk_no: int
    first_row_no: int
    row_count: int
    dataset: str
    tenant: str
    schema_version: int = 1
    typed_columns: tuple[str, ...] = ()
    locale: str | None = None
    corrects: str | None = None  # the job whose invalid rows this chunk's rows correct

    @property
    def key(self) -> bytes:
        return f"{self.job_id}:{self.chunk_no}".encode()

    def to_kafka(self) -> KafkaHeaders:
        headers = [
            (H_JOB_ID, self.job_id.encode()),
            (H_CHUNK_NO, str(self.chunk_no).encode()),
            (H_FIRST_ROW, str(self.first_row_no).encode()),
            (H_ROW_COUNT, str(self.row_count).encode()),
            (H_DATASET, self.dataset.encode()),
            (H_TENANT, self.tenant.encode()),
            (H_SCHEMA_VERSION, str(self.schema_version).encode()),
        ]
        if self.typed_columns:
            headers.append((H_TYPED_COLUMNS, ",".join(self.typed_columns).encode()))
        if self.locale:
            headers.append((H_LOCALE, self.locale.encode()))
        if self.corrects:
            headers.append((H_CORRECTS, self.corrects.encode()))
        return headers

    @classmethod
    def from_kafka(cls, headers: KafkaHeaders | dict[str, bytes] | None) -> ChunkHeaders:
        """Raises KeyError/ValueError when a header is missing or malformed."""
        found = dict(headers.items() if isinstance(headers, dict) else headers or [])

        def text(name: str) -> str:
            value = found[name]
            return value.decode() if isinstance(value, bytes) else str(value)

        return cls(
            job_id=text(H_JOB_ID),
            chunk_no=int(text(H_CHUNK_NO)),
            first_row_no=int(text(H_FIRST_ROW)),
            row_count=int(text(H_ROW_COUNT)),
            dataset=text(H_DATASET),
            tenant=text(H_TENANT),
            schema_version=int(text(H_SCHEMA_VERSION)) if H_SCHEMA_VERSION in found else 1,
            typed_columns=tuple(filter(None, text(H_TYPED_COLUMNS).split(",")))
            if H_TYPED_COLUMNS in found
            else (),
            locale=(text(H_LOCALE) or None) if H_LOCALE in found else None,
            corrects=text(H_CORRECTS) if H_CORRECTS in found else None,
        )
