"""Arrow IPC encoding of one record batch per Kafka record."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

# Every chunk batch carries the spreadsheet row number of each row (header row = 1).
ROW_COLUMN = "__row__"
# A text column of a number type that holds number cells of a sheet beside text cells has a
# boolean column beside it, true where the cell was a number: a number cell is a number in
# every locale, its text being the plain one a sheet shows without a locale ("3.01"). No
# dataset column name starts with "_", so these names cannot collide.
NUMBER_CELLS_PREFIX = "__number_cells__."
DEFAULT_COMPRESSION = "lz4"


def number_cells_column(name: str) -> str:
    """The name of the column that marks the number cells of text column ``name``."""
    return NUMBER_CELLS_PREFIX + name


def is_cell_column(name: str) -> bool:
    """Whether a chunk column holds cells (not the row number or a column of marks)."""
    return name != ROW_COLUMN and not name.startswith(NUMBER_CELLS_PREFIX)


def encode_batch(batch: pa.RecordBatch, compression: str | None = DEFAULT_COMPRESSION) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, batch.schema, options=options) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def encode_to_fit(
    batch: pa.RecordBatch, max_bytes: int, compression: str | None = DEFAULT_COMPRESSION
) -> Iterator[tuple[pa.RecordBatch, bytes]]:
    """(part, payload) pairs: the batch encoded, halved until each part's payload is at
    most ``max_bytes``, in row order. A single row that is larger still comes out as it is:
    the caller decides what such a row means."""
    payload = encode_batch(batch, compression)
    if len(payload) <= max_bytes or batch.num_rows <= 1:
        yield batch, payload
        return
    half = batch.num_rows // 2
    yield from encode_to_fit(batch.slice(0, half), max_bytes, compression)
    yield from encode_to_fit(batch.slice(half), max_bytes, compression)


# Decompressed in the calling thread: a worker decodes in many threads already, and handing a
# chunk's few buffers to Arrow's thread pool costs more CPU than it saves.
_READ_OPTIONS = pa.ipc.IpcReadOptions(use_threads=False)


def decode_batch(payload: bytes) -> pa.RecordBatch:
    """Raises pa.ArrowInvalid when the payload is not one Arrow IPC batch."""
    reader = pa.ipc.open_stream(pa.py_buffer(payload), options=_READ_OPTIONS)
    batches = list(reader)
    if len(batches) != 1:
        raise pa.ArrowInvalid(f"expected one record batch, found {len(batches)}")
    return batches[0]
