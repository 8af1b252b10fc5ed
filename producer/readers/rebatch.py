"""Batch helpers shared by the readers: the output shape of base.py and exact-size batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from producer.readers.base import HeaderMapping
from schemas.arrow_codec import ROW_COLUMN, number_cells_column


def output_schema(
    mapping: HeaderMapping,
    types: Mapping[int, pa.DataType] | None = None,
    marked: Iterable[str] = (),
) -> pa.Schema:
    """Dataset columns found in the file, in dataset order, then the row number; text unless
    ``types`` (by file column index) says a column is typed. Then the number cell marks of the
    ``marked`` text columns (dataset names; arrow_codec.NUMBER_CELLS_PREFIX)."""
    types = types or {}
    fields = [
        pa.field(name, types.get(index, pa.string())) for index, name in mapping.columns.items()
    ]
    marks = [pa.field(number_cells_column(name), pa.bool_()) for name in marked]
    return pa.schema([*fields, pa.field(ROW_COLUMN, pa.int64()), *marks])


def blank_mask(columns: Iterable[pa.Array]) -> pa.Array | None:
    """True where every cell is null or whitespace; None when no row is blank (the usual case)."""
    mask: pa.Array | None = None
    for array in columns:
        blank = pc.is_null(array)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            blank = pc.or_kleene(blank, pc.fill_null(pc.utf8_is_space(array), False))
        mask = blank if mask is None else pc.and_(mask, blank)
        if not pc.any(mask).as_py():
            return None  # stop early: the remaining columns cannot make a row blank again
    return mask


def shape_batch(
    cells: Mapping[int, pa.Array],
    mapping: HeaderMapping,
    rows: pa.Array,
    schema: pa.Schema,
    marks: Iterable[pa.Array] = (),
) -> pa.RecordBatch:
    """The base.py batch from string cells keyed by file column index, dropping blank rows;
    ``marks``: the number cell marks ``schema`` ends with.

    ``cells`` holds every file column (known or not), so a row whose only text is in an
    unknown column is still sent, and fails validation visibly instead of vanishing.
    """
    blank = blank_mask(cells.values())
    arrays = [cells[index] for index in mapping.columns]
    batch = pa.RecordBatch.from_arrays([*arrays, rows, *marks], schema=schema)
    if blank is not None:
        batch = batch.filter(pc.invert(blank))
    return batch


def _single(table: pa.Table) -> pa.RecordBatch:
    batches = [b for b in table.to_batches() if b.num_rows]
    if len(batches) == 1:
        return batches[0]
    return table.combine_chunks().to_batches()[0]


def rebatch(
    batches: Iterable[pa.RecordBatch], chunk_rows: int, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    """Exactly ``chunk_rows`` rows per batch (the last may be smaller), holding at most one
    input batch plus a remainder in memory; slices are zero-copy where they can be."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows < chunk_rows:
            continue
        table = pa.Table.from_batches(pending, schema=schema)
        start = 0
        while pending_rows - start >= chunk_rows:
            yield _single(table.slice(start, chunk_rows))
            start += chunk_rows
        rest = table.slice(start)
        pending = [b for b in rest.to_batches() if b.num_rows]
        pending_rows = rest.num_rows
    if pending_rows:
        yield _single(pa.Table.from_batches(pending, schema=schema))
