"""The extension's struct columns (sheet.py) as the cells that go into a chunk.

Pure pyarrow/numpy, no I/O. A struct column carries each cell's kind and one array per kind
family; this module turns it into a typed array where every cell is of one kind its dataset
column takes (typed_columns.py), else into cell text by the rules of cell_text.py, rendered
with column_text.py's functions: the text the calamine formats give for the same cells.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from producer.readers.cell_text import (
    TIMEDELTA_MAX_MS,
    cell_text,
    format_duration,
    format_float,
    format_text,
)
from producer.readers.column_text import (
    duration_text,
    float_text,
    shows_fraction,
    string_text,
    timestamp_text,
)
from producer.readers.typed_columns import typed_column
from producer.readers.xlsx.sheet import (
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
_NUMBER_KINDS = pa.array(sorted(_NUMBERS), pa.uint8())
_TEXTS = {KIND_STRING, KIND_ERROR, KIND_ISO_TEXT}  # the kinds that fill the text field
_NO_TEXT = pa.scalar(None, pa.string())
_TIMEDELTA_MAX_DAYS = dt.timedelta.max.days


def kinds(column: pa.StructArray) -> np.ndarray:
    """The kind code of every cell (sheet.KIND_*)."""
    return column.field("kind").to_numpy(zero_copy_only=False)


def present_kinds(kind: np.ndarray) -> set[int]:
    """The kinds of the non-empty cells among ``kind``."""
    counts = np.bincount(kind, minlength=KIND_DURATION + 1)
    return {int(k) for k in np.flatnonzero(counts)} - {KIND_EMPTY}


def has_content(
    column: pa.StructArray, *, mapped: bool, text: pa.Array | None = None
) -> np.ndarray:
    """Where a cell makes its row non-blank, as the calamine formats judge it: any value but
    blank text; an error cell outside the dataset's columns is null there (fastexcel
    reports it apart and only the dataset's columns take it back), so it does not count.
    ``text``, the column's cell text when known, says which strings are blank (null)."""
    kind = kinds(column)
    content = kind != KIND_EMPTY
    if not mapped:
        content &= kind != KIND_ERROR
    strings = kind == KIND_STRING
    if strings.any():
        if text is not None:
            blank = text.is_null()
        else:
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


def _only(
    array: pa.Array, kind: np.ndarray, wanted: int | set[int], present: set[int] | None = None
) -> pa.Array:
    """``array`` where the cell is of the wanted kind(s), null elsewhere. When the kinds
    ``present`` that fill the array are all wanted, it is returned as it is: its nulls
    are already where the other cells are."""
    if present is not None and present <= ({wanted} if isinstance(wanted, int) else wanted):
        return array
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
    """Durations as column_text.duration_text renders them; a span too long for int64 milliseconds
    (the struct's duration field) is beyond a timedelta anyway."""
    days = _only(column.field("float"), kind, KIND_DURATION)
    too_long = pc.fill_null(pc.greater_equal(pc.abs(days), _TIMEDELTA_MAX_DAYS), False)
    millis = pc.cast(column.field("duration"), pa.int64())
    return duration_text(pc.if_else(too_long, pa.scalar(TIMEDELTA_MAX_MS, pa.int64()), millis))


def column_text(column: pa.StructArray) -> pa.Array:
    """Cell text of every cell, by the rules of cell_text.cell_text; empty cells are null."""
    kind = kinds(column)
    present = present_kinds(kind)
    pieces: list[pa.Array] = []
    texts = present & _TEXTS
    if texts:
        text = column.field("text")
        if KIND_STRING in present:
            pieces.append(string_text(_only(text, kind, KIND_STRING, texts)))
        if KIND_ERROR in present:
            pieces.append(_only(text, kind, KIND_ERROR, texts))  # '#DIV/0!' as Excel shows it
        if KIND_ISO_TEXT in present:
            iso = _only(text, kind, KIND_ISO_TEXT, texts).to_pylist()
            pieces.append(pa.array(_iso_text(iso), pa.string()))
    if present & _NUMBERS:
        numeric = present & (_NUMBERS | {KIND_DATETIME, KIND_DURATION})
        pieces.append(float_text(_only(column.field("float"), kind, _NUMBERS, numeric)))
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


def cell_text_at(column: pa.StructArray, at: int) -> str | None:
    """Cell ``at`` of ``column`` as column_text renders it, from the per-cell rules of
    cell_text.py: for a few cells (a sheet's head, read until its header row), where
    column_text's cost per call outweighs its cost per cell."""
    kind = column.field("kind")[at].as_py()
    if kind == KIND_EMPTY:
        return None
    if kind in _TEXTS:
        text = column.field("text")[at].as_py()
        if kind == KIND_ERROR:
            return text  # '#DIV/0!' as Excel shows it
        return format_text(text) if kind == KIND_STRING else _iso_text([text])[0]
    if kind in _NUMBERS:
        return format_float(column.field("float")[at].as_py())
    if kind == KIND_BOOL:
        return "TRUE" if column.field("bool")[at].as_py() else "FALSE"
    if kind == KIND_DATETIME:
        moment = column.field("datetime")[at]
        return "#VALUE!" if not moment.is_valid else cell_text(moment.as_py())
    days = column.field("float")[at].as_py()  # KIND_DURATION
    if abs(days) >= _TIMEDELTA_MAX_DAYS:
        return "#VALUE!"
    return format_duration(dt.timedelta(milliseconds=column.field("duration")[at].value))


def number_cells(column: pa.StructArray, text: pa.Array) -> pa.Array | None:
    """True where a cell is a number (not a date or a duration under a number format); None
    when no number cell has a fraction (column_text.shows_fraction). A text column of a
    number type carries these marks (arrow_codec.NUMBER_CELLS_PREFIX), ``text`` being its
    cell text: a number cell is read alike in every locale."""
    marks = pc.is_in(column.field("kind"), _NUMBER_KINDS)
    numbers = pc.filter(column.field("float"), marks)
    if pc.all(pc.equal(pc.floor(numbers), numbers)).as_py():
        return None  # whole numbers all: none shows a fraction, and no pattern need look
    return marks if shows_fraction(text, marks) else None


def typed_cells(column: pa.StructArray, column_type: str) -> pa.Array | None:
    """What goes into the chunk for a dataset column of ``column_type``, when typed: the
    typed array when every cell here is of one kind its type takes (typed_columns.py);
    None when the column goes as its cell text (column_text)."""
    candidate = _typed_candidate(column, present_kinds(kinds(column)))
    return None if candidate is None else typed_column(candidate, column_type)
