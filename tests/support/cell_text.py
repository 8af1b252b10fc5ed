"""A chunk batch with its typed columns shown as cell text, by column_text.py's rules: what
the same cells give as text, so chunks typed differently compare cell for cell."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from producer.readers.column_text import typed_column_text
from schemas.arrow_codec import ROW_COLUMN, is_cell_column, number_cells_column


def as_cell_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The cells as text, with the row numbers (the number cell marks left out)."""
    names = [n for n in batch.schema.names if is_cell_column(n) or n == ROW_COLUMN]
    arrays = [
        column
        if pa.types.is_string(column.type) or name == ROW_COLUMN
        else typed_column_text(column)
        for name, column in ((n, batch.column(n)) for n in names)
    ]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def fraction_numbers(batch: pa.RecordBatch) -> set[tuple[int, str]]:
    """(row number, column) of the number cells with a fraction (3.01): the cells of a
    typed number column, and the marked cells of a text column, whose text has a point.
    These are the cells a locale would read otherwise, were they not known as numbers."""
    found = set()
    rows = batch.column(ROW_COLUMN).to_pylist()
    for name in filter(is_cell_column, batch.schema.names):
        column = batch.column(name)
        if pa.types.is_floating(column.type):
            text = typed_column_text(column)
            numbers = pc.is_valid(column)
        elif batch.schema.get_field_index(number_cells_column(name)) >= 0:
            text, numbers = column, batch.column(number_cells_column(name))
        else:
            continue
        point = pc.and_(numbers, pc.fill_null(pc.match_substring(text, "."), False))
        found |= {(rows[i], name) for i in pc.indices_nonzero(point).to_pylist()}
    return found
