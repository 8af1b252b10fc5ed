"""Cells of the Rust reader (xlsx_rust.py's struct columns) as the fast path gives them.

Pure pyarrow/numpy, no I/O. A struct column carries each cell's kind and one array per kind
family; this module turns it into what the fast path (fast.py) puts in a chunk for the same
cells: a typed array where fastexcel would type the column (typed.py), else cell text by the
rules of text.py, rendered with fast.py's own column functions so both paths agree.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from producer.readers.xlsx.fast import float_text, string_text, timestamp_text
from producer.readers.xlsx.text import TIMEDELTA_MAX_MS, cell_text, duration_text, format_text
from producer.readers.xlsx.typed import typed_column
from producer.readers.xlsx_rust import (
    KIND_BOOL,
    KIND_DATETIME,
    KIND_DURATION,
    KIND_EMPTY,
    KIND_ERROR,
    KIND_FLOAT,
    KIND_INT,
    KIND_ISO_TEXT,
    KIND_STRING,
)

_NUMBERS = {KIND_FLOAT, KIND_INT}
_NO_TEXT = pa.scalar(None, pa.string())
_TIMEDELTA_MAX_DAYS = dt.timedelta.max.days


def kinds(column: pa.StructArray) -> np.ndarray:
    """The kind code of every cell (xlsx_rust.KIND_*)."""
    return column.field("kind").to_numpy(zero_copy_only=False)


def has_content(column: pa.StructArray, *, mapped: bool) -> np.ndarray:
    """Where a cell makes its row non-blank, as the fast path judges it: any value but
    blank text; an error cell outside the dataset's columns is null there (fastexcel
    reports it apart and only the dataset's columns take it back), so it does not count."""
    kind = kinds(column)
    content = kind != KIND_EMPTY
    if not mapped:
        content &= kind != KIND_ERROR
    strings = kind == KIND_STRING
    if strings.any():
        text = column.field("text")
        blank = pc.fill_null(pc.or_(pc.equal(text, ""), pc.utf8_is_space(text)), False)
        content &= ~(strings & blank.to_numpy(zero_copy_only=False))
    return content


def _typed_candidate(column: pa.StructArray, present: set[int]) -> pa.Array | None:
    """The column as fastexcel types it when all its cells are one kind family."""
    if not present:
        return None  # an all-empty column: fastexcel gives it no type
    if present <= _NUMBERS:
        return column.field("float")
    if present == {KIND_BOOL}:
        return column.field("bool")
    if present == {KIND_DATETIME}:
        moments = column.field("datetime")
        # a serial outside Excel's calendar has no datetime: the column cannot be typed
        if moments.null_count == pc.sum(pc.equal(column.field("kind"), KIND_EMPTY)).as_py():
            return moments
    return None


def _only(array: pa.Array, kind: np.ndarray, wanted: int | set[int]) -> pa.Array:
    """``array`` where the cell is of the wanted kind(s), null elsewhere."""
    keep = np.isin(kind, list(wanted)) if isinstance(wanted, set) else kind == wanted
    return pc.if_else(pa.array(keep), array, pa.scalar(None, array.type))


def _iso_text(values: list[str | None]) -> list[str | None]:
    """t="d" cells (ISO 8601 text) as the date or time they name, else as written."""
    from openpyxl.utils.datetime import from_ISO8601

    texts: list[str | None] = []
    for value in values:
        if value is None:
            texts.append(None)
            continue
        try:
            texts.append(cell_text(from_ISO8601(value)))
        except (ValueError, TypeError, OverflowError):  # not an ISO date after all
            texts.append(format_text(value))
    return texts


def _duration_text(column: pa.StructArray, kind: np.ndarray) -> pa.Array:
    """Durations as fast.duration_text renders them; a span too long for int64 milliseconds
    (the struct's duration field) is beyond a timedelta anyway."""
    days = _only(column.field("float"), kind, KIND_DURATION)
    too_long = pc.fill_null(pc.greater_equal(pc.abs(days), _TIMEDELTA_MAX_DAYS), False)
    millis = pc.cast(column.field("duration"), pa.int64())
    return duration_text(pc.if_else(too_long, pa.scalar(TIMEDELTA_MAX_MS, pa.int64()), millis))


def column_text(column: pa.StructArray) -> pa.Array:
    """Cell text of every cell, by the rules of text.cell_text; empty cells are null."""
    kind = kinds(column)
    present = set(np.unique(kind).tolist()) - {KIND_EMPTY}
    pieces: list[pa.Array] = []
    if present & {KIND_STRING, KIND_ERROR, KIND_ISO_TEXT}:
        text = column.field("text")
        if KIND_STRING in present:
            pieces.append(string_text(_only(text, kind, KIND_STRING)))
        if KIND_ERROR in present:
            pieces.append(_only(text, kind, KIND_ERROR))  # '#DIV/0!' as Excel shows it
        if KIND_ISO_TEXT in present:
            iso = _only(text, kind, KIND_ISO_TEXT).to_pylist()
            pieces.append(pa.array(_iso_text(iso), pa.string()))
    if present & _NUMBERS:
        pieces.append(float_text(_only(column.field("float"), kind, _NUMBERS)))
    if KIND_BOOL in present:
        pieces.append(pc.if_else(column.field("bool"), "TRUE", "FALSE"))
    if KIND_DATETIME in present:
        moments = column.field("datetime")
        pieces.append(timestamp_text(moments))
        outside = (kind == KIND_DATETIME) & moments.is_null().to_numpy(zero_copy_only=False)
        if outside.any():  # a serial outside Excel's calendar: openpyxl's word for it
            pieces.append(pc.if_else(pa.array(outside), "#VALUE!", _NO_TEXT))
    if KIND_DURATION in present:
        pieces.append(_duration_text(column, kind))
    if not pieces:
        return pa.nulls(len(column), pa.string())
    if len(pieces) == 1:
        return pieces[0]
    return pc.coalesce(*pieces)


def column_cells(column: pa.StructArray, column_type: str) -> pa.Array:
    """What goes into the chunk for a dataset column of ``column_type``: the typed array
    when every cell here is of one kind its type takes (typed.py), else the cell text."""
    present = set(np.unique(kinds(column)).tolist()) - {KIND_EMPTY}
    candidate = _typed_candidate(column, present)
    if candidate is not None:
        typed = typed_column(candidate, column_type)
        if typed is not None:
            return typed
    return column_text(column)
