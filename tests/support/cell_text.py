"""A chunk batch with its typed columns shown as cell text, by column_text.py's rules: what
the same cells give as text, so chunks typed differently compare cell for cell."""

from __future__ import annotations

import pyarrow as pa

from producer.readers.column_text import typed_column_text


def as_cell_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays = [
        column
        if pa.types.is_string(column.type) or name == "__row__"
        else typed_column_text(column)
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
