"""Turn reader batches into chunk records: Arrow IPC payloads under a byte ceiling."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa

from producer.readers.csv import human_bytes
from schemas.arrow_codec import ROW_COLUMN, encode_batch
from schemas.errors import ParseError, ParseErrorKind
from schemas.records import ChunkHeaders


def _fitted(
    batch: pa.RecordBatch, max_bytes: int, compression: str | None
) -> Iterator[tuple[pa.RecordBatch, bytes]]:
    """The batch encoded, halved recursively until each part is under ``max_bytes``."""
    payload = encode_batch(batch, compression)
    if len(payload) <= max_bytes:
        yield batch, payload
        return
    if batch.num_rows <= 1:
        row = batch.column(ROW_COLUMN)[0].as_py() if batch.num_rows else "?"
        raise ParseError(
            f"row {row} is larger than the {human_bytes(max_bytes)} limit for one chunk "
            f"({human_bytes(len(payload))} encoded)",
            kind=ParseErrorKind.TOO_LARGE,
        )
    half = batch.num_rows // 2
    yield from _fitted(batch.slice(0, half), max_bytes, compression)
    yield from _fitted(batch.slice(half), max_bytes, compression)


def build_chunk_records(
    batches: Iterable[pa.RecordBatch],
    *,
    job_id: str,
    dataset: str,
    tenant: str,
    schema_version: int,
    max_bytes: int,
    compression: str | None = "lz4",
    corrects: str | None = None,
) -> Iterator[tuple[ChunkHeaders, bytes]]:
    """(headers, payload) per chunk, numbered 0, 1, 2, ... in file order.

    Splitting depends only on the batches and max_bytes, so the same file read with the same
    chunk_rows always yields the same chunks: a re-parse after a crash reproduces them.
    """
    chunk_no = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        typed = tuple(
            f.name for f in batch.schema if f.name != ROW_COLUMN and not pa.types.is_string(f.type)
        )
        for part, payload in _fitted(batch, max_bytes, compression):
            headers = ChunkHeaders(
                job_id=job_id,
                chunk_no=chunk_no,
                first_row_no=int(part.column(ROW_COLUMN)[0].as_py()),
                row_count=part.num_rows,
                dataset=dataset,
                tenant=tenant,
                schema_version=schema_version,
                typed_columns=typed,
                corrects=corrects,
            )
            yield headers, payload
            chunk_no += 1
