"""Turn reader batches into chunk records: Arrow IPC payloads under a byte ceiling."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa

from producer.readers.base import human_bytes
from schemas.arrow_codec import ROW_COLUMN, encode_to_fit, is_cell_column
from schemas.errors import ParseError, ParseErrorKind
from schemas.headers import ChunkHeaders


def _row_too_large(row: pa.RecordBatch, payload: bytes, max_bytes: int) -> ParseError:
    number = row.column(ROW_COLUMN)[0].as_py() if row.num_rows else "?"
    return ParseError(
        f"row {number} is larger than the {human_bytes(max_bytes)} limit for one chunk "
        f"({human_bytes(len(payload))} encoded)",
        kind=ParseErrorKind.TOO_LARGE,
    )


def build_chunk_records(
    batches: Iterable[pa.RecordBatch],
    *,
    job_id: str,
    dataset: str,
    tenant: str,
    schema_version: int,
    max_bytes: int,
    compression: str | None = "lz4",
    locale: str | None = None,
    corrects: str | None = None,
) -> Iterator[tuple[ChunkHeaders, bytes]]:
    """(headers, payload) per chunk, numbered 0, 1, 2, ... in file order; ``locale``: the
    job's reading locale, on every chunk's headers.

    Splitting depends only on the batches and max_bytes, so the same file read with the same
    chunk_rows always yields the same chunks: a re-parse after a crash reproduces them.
    """
    chunk_no = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        typed = tuple(
            f.name
            for f in batch.schema
            if is_cell_column(f.name) and not pa.types.is_string(f.type)
        )
        for part, payload in encode_to_fit(batch, max_bytes, compression):
            if len(payload) > max_bytes:
                raise _row_too_large(part, payload, max_bytes)
            headers = ChunkHeaders(
                job_id=job_id,
                chunk_no=chunk_no,
                first_row_no=int(part.column(ROW_COLUMN)[0].as_py()),
                row_count=part.num_rows,
                dataset=dataset,
                tenant=tenant,
                schema_version=schema_version,
                typed_columns=typed,
                locale=locale,
                corrects=corrects,
            )
            yield headers, payload
            chunk_no += 1
