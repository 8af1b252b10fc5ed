"""The records a chunk's valid rows become on ``results.<dataset>`` (docs/topics.md).

Pure: a validated table and the chunk's headers in, Kafka records out. Two encodings, per
dataset (``results.encoding``): ``arrow``, the chunk as one Arrow IPC stream (split only
when it would not fit one Kafka record), and ``json``, one keyed record per row. JSON values
are formatted column by column with Arrow compute kernels; Python touches each row once,
to make its record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from schemas.arrow_codec import ROW_COLUMN, encode_to_fit
from schemas.dataset import Column, Dataset
from schemas.headers import (
    ARROW_STREAM_CONTENT_TYPE,
    H_CHUNK_NO,
    H_COMPRESSION,
    H_CONTENT_TYPE,
    H_DATASET,
    H_FIRST_ROW,
    H_JOB_ID,
    H_REPLAY_ID,
    H_ROW,
    H_ROW_COUNT,
    H_SCHEMA_VERSION,
    H_TENANT,
    JSON_CONTENT_TYPE,
    RESULTS_SCHEMA_VERSION,
    ChunkHeaders,
    KafkaHeaders,
)
from schemas.result_schema import result_arrow_schema

# Uncompressed IPC buffers: arrow-js cannot read compressed ones, and Kafka's own batch
# compression (producer compression.type) shrinks the record for every client alike.
ARROW_COMPRESSION: str | None = None
# results topics allow 2 x chunk_max_bytes + 64 KiB per record (messaging/names.py)
RESULT_MAX_BYTES = 2_000_000
_CONTROL = r"[\x00-\x1f]"


@dataclass(frozen=True)
class ResultRecord:
    key: bytes
    value: bytes
    headers: KafkaHeaders


def replay_id_of(headers: Any) -> bytes | None:
    """The ``replay_id`` header of an incoming chunk record, if it has one."""
    items = headers.items() if isinstance(headers, dict) else headers or []
    for name, value in items:
        if name == H_REPLAY_ID and value is not None:
            return value if isinstance(value, bytes) else str(value).encode()
    return None


def result_records(
    dataset: Dataset, meta: ChunkHeaders, valid: pa.Table, replay_id: bytes | None = None
) -> list[ResultRecord]:
    """The result records of one chunk's valid rows, in the dataset's encoding."""
    if valid.num_rows == 0:
        return []
    common: KafkaHeaders = [
        (H_JOB_ID, meta.job_id.encode()),
        (H_CHUNK_NO, str(meta.chunk_no).encode()),
        (H_DATASET, dataset.name.encode()),
        (H_TENANT, meta.tenant.encode()),
        (H_SCHEMA_VERSION, RESULTS_SCHEMA_VERSION.encode()),
    ]
    if replay_id is not None:
        common.append((H_REPLAY_ID, replay_id))
    if dataset.results.encoding == "json":
        return json_records(dataset, meta, valid, common)
    return arrow_records(dataset, meta, valid, common)


# --- arrow ---------------------------------------------------------------------------------


def arrow_records(
    dataset: Dataset, meta: ChunkHeaders, valid: pa.Table, common: KafkaHeaders
) -> list[ResultRecord]:
    table = pa.Table.from_arrays(valid.combine_chunks().columns, schema=_arrow_schema(dataset))
    batches = table.to_batches()
    batch = batches[0] if len(batches) == 1 else pa.concat_batches(batches)
    headers = [
        *common,
        (H_CONTENT_TYPE, ARROW_STREAM_CONTENT_TYPE.encode()),
        (H_COMPRESSION, (ARROW_COMPRESSION or "none").encode()),
    ]
    return [
        ResultRecord(
            key=meta.key,
            value=payload,
            headers=[
                *headers,
                (H_FIRST_ROW, str(part.column(ROW_COLUMN)[0].as_py()).encode()),
                (H_ROW_COUNT, str(part.num_rows).encode()),
            ],
        )
        for part, payload in encode_to_fit(batch, RESULT_MAX_BYTES, ARROW_COMPRESSION)
    ]


@lru_cache(maxsize=128)
def _arrow_schema(dataset: Dataset) -> pa.Schema:
    return result_arrow_schema(dataset)


# --- json ----------------------------------------------------------------------------------


def json_records(
    dataset: Dataset, meta: ChunkHeaders, valid: pa.Table, common: KafkaHeaders
) -> list[ResultRecord]:
    table = valid.combine_chunks()
    rows = pc.cast(table.column(ROW_COLUMN), pa.string())
    parts: list[Any] = []
    for i, col in enumerate(dataset.columns):
        parts += ["{" if i == 0 else ",", f'"{col.name}":', _json_value(table[col.name], col)]
    values = pc.binary_join_element_wise(*parts, "}", "")
    if dataset.key:
        texts = [_text(table[name], dataset.column(name)) for name in dataset.key]
        keys = pc.binary_join_element_wise(
            meta.tenant, *texts, ":", null_handling="replace", null_replacement=""
        )
    else:
        keys = pc.binary_join_element_wise(meta.job_id, rows, ":")
    headers = [*common, (H_CONTENT_TYPE, JSON_CONTENT_TYPE.encode())]
    return [
        ResultRecord(key=key, value=value, headers=[*headers, (H_ROW, row)])
        for key, value, row in zip(_as_bytes(keys), _as_bytes(values), _as_bytes(rows), strict=True)
    ]


def _as_bytes(array: pa.ChunkedArray | pa.Array) -> list[bytes]:
    return pc.cast(array, pa.binary()).to_pylist()


def _text(array: pa.ChunkedArray, column: Column) -> pa.ChunkedArray:
    """Each value as text, unquoted: the form of a key part (null stays null)."""
    if column.type == "datetime":
        return pc.strftime(array, format="%Y-%m-%dT%H:%M:%SZ")
    return pc.cast(array, pa.string())


def _json_value(array: pa.ChunkedArray, column: Column) -> pa.ChunkedArray:
    """Each value as a JSON literal: numbers and booleans bare, the rest quoted strings."""
    kind = column.type
    if kind in ("integer", "boolean"):
        literal = pc.cast(array, pa.string())
    elif kind == "float":  # JSON has no NaN or infinity: those become null
        finite = pc.is_finite(array)
        literal = pc.if_else(finite, pc.cast(array, pa.string()), pa.scalar(None, pa.string()))
    elif kind in ("string", "email"):
        literal = _json_string(array)
    else:  # decimal, date, datetime: as text, quoted (decimals stay exact)
        literal = pc.binary_join_element_wise('"', _text(array, column), '"', "")
    return pc.fill_null(literal, "null")


def _json_string(array: pa.ChunkedArray) -> pa.Array:
    text = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    escaped = pc.replace_substring(text, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    odd = pc.match_substring_regex(text, _CONTROL)
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    if not pc.any(odd).as_py():
        return quoted
    # control characters are rare in spreadsheet cells: json.dumps escapes those few values
    at = pc.indices_nonzero(pc.fill_null(odd, False)).to_pylist()
    fixed = pa.array([json.dumps(text[i].as_py(), ensure_ascii=False) for i in at], pa.string())
    return pc.replace_with_mask(quoted, pc.fill_null(odd, False), fixed)
