"""An XLSX sheet read by the Rust extension ``bulkflow_xlsx`` (native/xlsx_stream): a
purpose-built scanner of the sheet XML, in bounded memory. Its batches arrive as column
buffers; this module wraps them as Arrow arrays with numpy, never a Python object per cell.

Each sheet column becomes one struct column, named by its letters (A, B, ..., AA), with the
fields of FIELDS: the cell ``kind`` (the KIND_* codes) and one typed array per kind family,
valid only where the kind says so. The producer can then choose a type per column.

The producer reads every XLSX sheet with it (reader.py); ``make install`` builds it and
needs cargo.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa

from files.workbook import SheetPart, select_sheet
from producer.readers.base import ReaderLimits
from producer.readers.xlsx.guard import inspect_xlsx
from schemas.errors import ParseError, ParseErrorKind

# the kind codes of native/xlsx_stream/src/batch.rs
KIND_EMPTY = 0
KIND_FLOAT = 1
KIND_INT = 2  # a number without a fraction, as openpyxl reads <v>3</v>
KIND_BOOL = 3
KIND_STRING = 4
KIND_DATETIME = 5  # an Excel serial under a date/time format
KIND_ERROR = 6  # #DIV/0!, #N/A, ... as text
KIND_ISO_TEXT = 7  # t="d" cells: ISO 8601 text
KIND_DURATION = 8  # a serial under a duration format such as [h]:mm:ss
# a formula whose result the file does not store (openpyxl writes such files): read as an
# empty cell, and noted in SheetRows.uncalculated
KIND_UNCALCULATED = 9
_UNCALCULATED_BYTE = bytes([KIND_UNCALCULATED])

FIELDS = pa.struct(
    [
        ("kind", pa.uint8()),
        ("float", pa.float64()),  # every numeric kind: float, int, datetime and duration serials
        ("int", pa.int64()),
        ("bool", pa.bool_()),
        ("datetime", pa.timestamp("ms")),  # naive, as the sheet shows it
        ("duration", pa.duration("ms")),
        ("text", pa.string()),  # strings, error codes, ISO text
    ]
)

_MS_PER_DAY = 86_400_000
# days from 1970-01-01 back to each epoch's day 0
_EPOCH_1900 = -25_569  # 1899-12-30: Excel's day 0 once its phantom 1900-02-29 is counted
_EPOCH_1904 = -24_107  # 1904-01-01
_LAST_SERIAL = 2_958_466  # 10000-01-01 in the 1900 system: Excel's dates end before it
_DAYS_1900_TO_1904 = 1_462
# negative serials are days before day 0, as fastexcel and openpyxl read them, down to year 1
_FIRST_SERIAL = -693_593


def available() -> bool:
    """Whether the extension is installed (``make install`` builds it)."""
    return importlib.util.find_spec("bulkflow_xlsx") is not None


@dataclass(frozen=True)
class SheetRows:
    """``rows.num_rows`` contiguous sheet rows from ``first_row`` (0-based; the sheet's row
    number is first_row + 1 + i). Blank rows inside a batch are all-empty; blank rows
    between batches are not sent."""

    first_row: int
    rows: pa.RecordBatch
    # per column index, the rows (0-based, in ``rows``) of its formulas without a stored
    # result, which ``rows`` holds as empty cells (a column without any has no entry): a
    # dataset column with one fails the file
    uncalculated: dict[int, np.ndarray] = field(default_factory=dict)

    def below(self, at: int) -> SheetRows:
        """The rows after row ``at`` (0-based) of the batch."""
        later = {c: r[r > at] - (at + 1) for c, r in self.uncalculated.items()}
        rows = self.rows.slice(at + 1)
        return SheetRows(self.first_row + at + 1, rows, {c: r for c, r in later.items() if len(r)})


def serials_to_ms(serials: np.ndarray, is_1904: bool) -> np.ndarray:
    """Excel serials as milliseconds since 1970, by openpyxl's from_excel: the fraction of
    the day rounded to the millisecond, and serials below 60 moved a day on in the 1900
    system (Excel counts a 1900-02-29 that never was)."""
    days = np.floor(serials)
    ms = np.round((serials - days) * _MS_PER_DAY)
    leap_shift = 0 if is_1904 else (serials > 0) & (serials < 60)
    days = days + (_EPOCH_1904 if is_1904 else _EPOCH_1900) + leap_shift
    return (days * _MS_PER_DAY + ms).astype(np.int64)


def _validity(valid: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _masked(values: np.ndarray, valid: np.ndarray, kind: pa.DataType, everywhere: bool) -> pa.Array:
    """``values`` as an Arrow array, null where not ``valid``; no mask when ``everywhere``."""
    return pa.array(values, type=kind, mask=None if everywhere else ~valid)


def column_array(
    buffers: tuple[bytes, bytes, bytes, bytes], n_rows: int, is_1904: bool
) -> pa.StructArray:
    """One column's buffers as a struct array of FIELDS.

    A field whose kinds the column does not hold is all null, and built as such without
    touching the buffers: a column is usually all one kind (all strings, all numbers), so
    most of the seven fields are empty and cost nothing.
    """
    kind_bytes, value_bytes, text_bytes, offset_bytes = buffers
    kind = np.frombuffer(kind_bytes, dtype=np.uint8)
    counts = np.bincount(kind, minlength=KIND_DURATION + 1)
    has = counts > 0
    fields: dict[str, pa.Array] = {
        "kind": pa.Array.from_buffers(pa.uint8(), n_rows, [None, pa.py_buffer(kind_bytes)])
    }
    n_numeric = int(counts[[KIND_FLOAT, KIND_INT, KIND_DATETIME, KIND_DURATION]].sum())
    if n_numeric:
        values = np.frombuffer(value_bytes, dtype=np.float64)
        is_int = kind == KIND_INT
        numeric = is_int | (kind == KIND_FLOAT) | (kind == KIND_DATETIME) | (kind == KIND_DURATION)
        fields["float"] = _masked(values, numeric, pa.float64(), n_numeric == n_rows)
        if has[KIND_INT]:
            ints = np.where(is_int, values, 0.0).astype(np.int64)
            fields["int"] = _masked(ints, is_int, pa.int64(), counts[KIND_INT] == n_rows)
        if has[KIND_DATETIME]:
            last = _LAST_SERIAL - (_DAYS_1900_TO_1904 if is_1904 else 0)
            is_date = (kind == KIND_DATETIME) & (values > _FIRST_SERIAL) & (values < last)
            datetimes = serials_to_ms(np.where(is_date, values, 0.0), is_1904)
            fields["datetime"] = pa.array(datetimes, type=pa.timestamp("ms"), mask=~is_date)
        if has[KIND_DURATION]:
            is_duration = kind == KIND_DURATION
            durations = np.round(np.where(is_duration, values, 0.0) * _MS_PER_DAY)
            fields["duration"] = pa.array(
                durations.astype(np.int64), type=pa.duration("ms"), mask=~is_duration
            )
    if has[KIND_BOOL]:
        values = np.frombuffer(value_bytes, dtype=np.float64)
        fields["bool"] = pa.array(values != 0, mask=kind != KIND_BOOL)
    n_text = int(counts[[KIND_STRING, KIND_ERROR, KIND_ISO_TEXT]].sum())
    if n_text:
        is_text = (kind == KIND_STRING) | (kind == KIND_ERROR) | (kind == KIND_ISO_TEXT)
        validity = None if n_text == n_rows else _validity(is_text)
        fields["text"] = pa.Array.from_buffers(
            pa.string(),
            n_rows,
            [validity, pa.py_buffer(offset_bytes), pa.py_buffer(text_bytes)],
            null_count=n_rows - n_text,
        )
    arrays = [fields[f.name] if f.name in fields else pa.nulls(n_rows, f.type) for f in FIELDS]
    return pa.StructArray.from_arrays(arrays, fields=list(FIELDS))


def column_name(index: int) -> str:
    """A 0-based column index as Excel's letters: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def to_sheet_rows(raw: tuple[int, int, list[Any]], is_1904: bool) -> SheetRows:
    first_row, n_rows, columns = raw
    arrays = []
    uncalculated: dict[int, np.ndarray] = {}
    for index, buffers in enumerate(columns):
        if _UNCALCULATED_BYTE in buffers[0]:
            kind = np.frombuffer(buffers[0], dtype=np.uint8)
            found = kind == KIND_UNCALCULATED
            uncalculated[index] = np.flatnonzero(found)
            buffers = (np.where(found, KIND_EMPTY, kind).astype(np.uint8).tobytes(), *buffers[1:])
        arrays.append(column_array(buffers, n_rows, is_1904))
    names = [column_name(i) for i in range(len(arrays))]
    return SheetRows(first_row, pa.RecordBatch.from_arrays(arrays, names=names), uncalculated)


class XlsxSheet:
    """One sheet of an XLSX file, in batches of ``batch_rows`` sheet rows.

    The guard of xlsx/guard.py runs first (zip bombs, entity declarations, damaged parts),
    unless ``guarded`` is the sheet a caller chose after running it; then the extension
    reads the sheet on a thread of its own, one batch ahead.
    """

    def __init__(
        self,
        path: Path | str,
        sheet: str | None = None,
        batch_rows: int = 10_000,
        limits: ReaderLimits | None = None,
        *,
        guarded: SheetPart | None = None,
    ) -> None:
        if not available():
            raise RuntimeError("the bulkflow_xlsx extension is not installed; run make install")
        import bulkflow_xlsx

        self._error = bulkflow_xlsx.XlsxReadError
        limits = limits or ReaderLimits()
        # a caller that has run the guard already passes the sheet it chose: the guard
        # inflates every part of the zip, too dear to run twice on a big workbook
        chosen = guarded or select_sheet(inspect_xlsx(path, limits), sheet)
        try:
            # every member is inflated under its declared size and the archive's limit
            self._stream = bulkflow_xlsx.open(
                str(path),
                chosen.name,
                batch_rows,
                limits.max_columns,
                max_inflated_bytes=limits.max_uncompressed_bytes,
            )
        except bulkflow_xlsx.XlsxReadError as exc:
            raise ParseError(_first_line(exc), kind=ParseErrorKind.MALFORMED) from exc
        self.sheet_names: list[str] = self._stream.sheet_names
        self.sheet: str = self._stream.sheet
        self.is_1904: bool = self._stream.is_1904
        self.dimensions = self._stream.dimensions

    def batches(self) -> Iterator[SheetRows]:
        while True:
            try:
                raw = self._stream.next_batch()
            except self._error as exc:
                raise ParseError(_first_line(exc), kind=ParseErrorKind.MALFORMED) from exc
            if raw is None:
                return
            yield to_sheet_rows(raw, self.is_1904)

    def merged_cells(self) -> tuple[list[tuple[tuple[int, int], tuple[int, int]]], int]:
        """The sheet's merged ranges (0-based) and how many more past the first 1,000:
        known once batches() has ended, empty before."""
        return self._stream.merged_cells()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> XlsxSheet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "the XLSX file cannot be read"
