"""The XLSX reader over the Rust extension (sheet.XlsxSheet): any sheet size in bounded
memory, its cells as struct_cells.py gives them.

A column's type is decided per chunk: a chunk whose cells in a column are all numbers (or
all booleans, all dates) carries that column typed, as fastexcel types a calamine-format
sheet's column; another chunk of the same sheet may carry it as text. The chunk header lists
its ``typed_columns`` and the worker takes either, chunk by chunk. A chunk whose column of a
number type mixes number cells with text marks the number cells (struct_cells.number_cells).

Cell text is computed once per batch the extension hands over (16,384 rows or more), not
per chunk: it is cell by cell, so a chunk's slice of it is the chunk's text, and pyarrow's
cost per call is then spread over eight times more rows. A column whose every chunk will go
typed (the batch's cells are all of a kind its type takes) gets no text at all.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from producer.readers.base import HeaderMapping, ReaderLimits
from producer.readers.cell_text import check_cell_sizes
from producer.readers.headers import map_headers
from producer.readers.merged_cells import merged_cells_warning
from producer.readers.rebatch import output_schema, rebatch
from producer.readers.xlsx.guard import explain_library_error
from producer.readers.xlsx.sheet import FIELDS, SheetRows, XlsxSheet, column_name
from producer.readers.xlsx.struct_cells import (
    column_text,
    has_content,
    number_cells,
    typed_cells,
)
from producer.readers.xlsx.table_search import SheetHead
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import NUMBER_TYPES, Dataset
from schemas.errors import ParseError, ParseErrorKind

# the extension reads at least this many sheet rows at a time: fewer cost more per row in
# Python, more cost memory (a row of the orders workbook is ~100 bytes of buffers)
MIN_READ_ROWS = 16_384


def _column(rows: pa.RecordBatch, index: int) -> pa.StructArray:
    """Sheet column ``index`` of a batch; all-empty when the batch is narrower."""
    if index < rows.num_columns:
        return rows.column(index)
    empty = pa.array([{"kind": 0}] * rows.num_rows, FIELDS) if rows.num_rows else None
    return empty if empty is not None else pa.array([], FIELDS)


class XlsxReader:
    """One sheet from its header row on, read by the Rust extension a batch at a time."""

    def __init__(
        self,
        sheet: XlsxSheet,
        head: SheetHead,
        dataset: Dataset,
        chunk_rows: int,
        limits: ReaderLimits,
    ) -> None:
        """``sheet`` is open and ``head`` holds the header row the search found in it."""
        self.chunk_rows = chunk_rows
        self.limits = limits
        self._dataset = dataset
        self._sheet = sheet
        self._header_row = head.number or 1
        self._warnings: list[str] = []
        try:
            self._batches = head.rest
            self.header = list(head.header)
            self._pending: SheetRows | None = head.after_header()
            self.mapping: HeaderMapping = map_headers(
                self.header, dataset, limits, sheet=head.sheet, header_row=head.number
            )
        except BaseException:
            self.close()
            raise
        self._kept = list(self.mapping.columns)
        self._types = {i: dataset.column(n).type for i, n in self.mapping.columns.items()}
        # per dataset column: its struct cells, then their text (null when never needed)
        cell_fields = [
            field
            for i in self._kept
            for field in (pa.field(str(i), FIELDS), pa.field(f"{i}.text", pa.string()))
        ]
        self._raw_schema = pa.schema([*cell_fields, pa.field(ROW_COLUMN, pa.int64())])

    def _sheet_rows(self) -> Iterator[SheetRows]:
        if self._pending is not None:
            yield self._pending
            self._pending = None
        yield from self._batches

    def _data_rows(self) -> Iterator[pa.RecordBatch]:
        """The dataset's columns (still struct cells) and row numbers of non-blank rows."""
        for batch in self._sheet_rows():
            rows = batch.rows
            if rows.num_rows == 0:
                continue
            self._refuse_uncalculated(batch)
            cells = {i: _column(rows, i) for i in self._kept}
            texts = {i: self._batch_text(cells[i], self._types[i]) for i in self._kept}
            content = np.zeros(rows.num_rows, dtype=bool)
            for index in range(rows.num_columns):
                mapped = index in cells
                text = texts[index] if mapped else None
                content |= has_content(rows.column(index), mapped=mapped, text=text)
            if not content.any():
                continue
            first = batch.first_row + 1  # the sheet's row number of the batch's first row
            numbers = np.arange(first, first + rows.num_rows, dtype=np.int64)
            no_text = pa.nulls(rows.num_rows, pa.string())
            arrays = [
                a for i in self._kept for a in (cells[i], no_text if texts[i] is None else texts[i])
            ]
            raw = pa.RecordBatch.from_arrays([*arrays, pa.array(numbers)], schema=self._raw_schema)
            yield raw if content.all() else raw.filter(pa.array(content))

    def _refuse_uncalculated(self, batch: SheetRows) -> None:
        """A dataset column's formula without a stored result fails the file: its value is
        not in it, and reading the cell as empty would lose it without a word."""
        for index, found in sorted(batch.uncalculated.items()):
            if index in self.mapping.columns:
                cell = f"{column_name(index)}{batch.first_row + 1 + int(found[0])}"
                raise ParseError(
                    f"cell {cell} ({self.mapping.columns[index]}) holds a formula whose result "
                    "the file does not store: the program that wrote it does not calculate "
                    "formulas. Open the file in Excel or LibreOffice, save it, and upload it again",
                    kind=ParseErrorKind.MALFORMED,
                )

    @staticmethod
    def _batch_text(column: pa.StructArray, column_type: str) -> pa.Array | None:
        """The column's cell text; None when every chunk of it will go typed (the
        batch is all of one kind its type takes, so each slice is too, or empty)."""
        if typed_cells(column, column_type) is not None:
            return None
        return column_text(column)

    def _chunk(self, raw: pa.RecordBatch) -> pa.RecordBatch:
        cells = {}
        marks = {}  # dataset column -> where its text cells were number cells
        for at, index in enumerate(self._kept):
            struct = raw.column(2 * at)
            typed = typed_cells(struct, self._types[index])
            cells[index] = raw.column(2 * at + 1) if typed is None else typed
            if typed is None and self._types[index] in NUMBER_TYPES:
                found = number_cells(struct, cells[index])
                if found is not None:
                    marks[self.mapping.columns[index]] = found
        check_cell_sizes(cells, self.header, self.limits.max_cell_bytes)
        schema = output_schema(self.mapping, {i: a.type for i, a in cells.items()}, marks)
        arrays = [*cells.values(), raw.column(ROW_COLUMN), *marks.values()]
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def batches(self) -> Iterator[pa.RecordBatch]:
        try:
            for raw in rebatch(self._data_rows(), self.chunk_rows, self._raw_schema):
                yield self._chunk(raw)
            ranges, more = self._sheet.merged_cells()
            found = merged_cells_warning(ranges, more, self.mapping.columns, self._header_row)
            self._warnings = [found] if found else []
        except ParseError:
            raise
        except Exception as exc:  # a damaged sheet fails lazily, deep in the XML
            raise explain_library_error(exc) from exc

    def warnings(self) -> list[str]:
        return self._warnings

    def close(self) -> None:
        self._sheet.close()
