"""A sheet of the calamine formats (.xls, .xlsb, .ods) loaded whole by fastexcel (Rust
calamine) as typed Arrow columns, then cut into base.py batches.

The sheet is loaded once and sliced: fastexcel re-parses the whole sheet for every
``n_rows``/``skip_rows`` window, so reading it in windows would be quadratic.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from producer.readers.base import HeaderMapping, ReaderLimits
from producer.readers.cell_text import check_cell_sizes, format_text
from producer.readers.column_text import replace_rows, shows_fraction, typed_column_text
from producer.readers.headers import map_headers
from producer.readers.rebatch import output_schema, shape_batch
from producer.readers.typed_columns import typed_column
from schemas.dataset import NUMBER_TYPES, Dataset

_ERROR_TEXT = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}
_ERROR_DETAIL = re.compile(r"got '(?:Error\((\w+)\)|(.*))'$", re.S)
_BOOLEAN_TEXT = pa.array(["TRUE", "FALSE"])
log = logging.getLogger(__name__)


def _error_text(detail: str) -> str | None:
    match = _ERROR_DETAIL.search(detail)
    if not match:
        return None
    return _ERROR_TEXT.get(match[1], f"#{match[1]}") if match[1] else format_text(match[2])


def _blankable(array: pa.Array) -> pa.Array:
    """A column outside the dataset only decides whether a row is blank."""
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    return array


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_floating(kind) or pa.types.is_integer(kind)


def number_cells(
    book: Any,
    sheet: str,
    header_number: int,
    columns: list[int],
    text: dict[int, pa.Array],
    n_rows: int,
) -> dict[int, pa.Array]:
    """Where the text ``columns`` (absolute indices) held number cells: fastexcel loads them
    once more as booleans, which it makes of numbers and booleans and never of text (it
    parses "3.01" as a float, so a float load cannot tell). A boolean cell's text is
    TRUE/FALSE. Columns whose load does not line up with the sheet's get no marks."""
    try:
        loaded = book.load_sheet(
            sheet,
            header_row=header_number - 1,
            use_columns=columns,
            dtypes={c: "boolean" for c in columns},
        )
        table = loaded.to_arrow()
    except Exception:  # the library raises anything; the columns then go unmarked, as text
        log.warning("sheet %r: cannot tell its number cells from its text", sheet, exc_info=True)
        return {}
    if table.num_rows != n_rows:
        return {}
    found = {}
    for position, info in enumerate(loaded.selected_columns):
        cells = text[info.absolute_index]
        marks = pc.and_(
            table.column(position).is_valid(),
            pc.invert(pc.fill_null(pc.is_in(cells, _BOOLEAN_TEXT), False)),
        )
        if shows_fraction(cells, marks):
            found[info.absolute_index] = marks
    return found


class MixedColumnTypes(Exception):
    """A column mixes kinds of value fastexcel has no one type for (numbers and durations)."""


class SheetTable:
    """A sheet loaded whole by fastexcel from its header row on, as one base.py batch."""

    def __init__(
        self,
        loaded: Any,
        header: list[str | None],
        header_number: int,
        dataset: Dataset,
        chunk_rows: int,
        limits: ReaderLimits,
        sheet: str | None = None,
        book: Any = None,
    ) -> None:
        """``book``, the fastexcel reader ``loaded`` came from, is asked which cells of a
        text column of a number type are numbers (``number_cells``); without it, none are
        marked."""
        self.chunk_rows = chunk_rows
        self.mapping: HeaderMapping = map_headers(
            header, dataset, limits, sheet=sheet, header_row=header_number
        )
        table, errors = loaded.to_arrow_with_errors()
        fixes = self.cell_fixes(table, errors.errors if errors else [], loaded, header_number)
        cells: dict[int, pa.Array] = {}
        marks: dict[int, pa.Array] = {}  # where a text column of a number type held numbers
        asked: list[int] = []  # text columns of a number type that may hold number cells
        for position, info in enumerate(loaded.selected_columns):
            array = table.column(position)
            index = info.absolute_index
            if index not in self.mapping.columns:
                cells[index] = _blankable(array)
                continue
            kind = dataset.column(self.mapping.columns[index]).type
            number = kind in NUMBER_TYPES
            if position in fixes:  # error cells (#DIV/0!) make the column text
                rows = sorted(fixes[position])
                text = replace_rows(
                    typed_column_text(array), pa.array(rows), [fixes[position][r] for r in rows]
                )
                cells[index] = text
                valid = array.is_valid()  # every cell left is a number
                if number and _is_number(array.type) and shows_fraction(text, valid):
                    marks[index] = valid
                continue
            typed = typed_column(array, kind)
            cells[index] = typed_column_text(array) if typed is None else typed
            if typed is None and number and shows_fraction(cells[index]):
                asked.append(index)
        if asked and book is not None and sheet is not None:
            marks.update(number_cells(book, sheet, header_number, asked, cells, table.num_rows))
        check_cell_sizes(
            {i: a for i, a in cells.items() if i in self.mapping.columns},
            header,
            limits.max_cell_bytes,
        )
        marked = {self.mapping.columns[i]: m for i, m in marks.items()}
        self.schema = output_schema(
            self.mapping, {i: cells[i].type for i in self.mapping.columns}, marked
        )
        first = header_number + 1
        numbers = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
        self._batch: pa.RecordBatch | None = shape_batch(
            cells, self.mapping, numbers, self.schema, marked.values()
        )

    def cell_fixes(
        self, table: pa.Table, errors: Sequence[Any], loaded: Any, header_number: int
    ) -> dict[int, dict[int, str | None]]:
        """Text for the cells fastexcel could not give in their column's type (error cells,
        text among numbers), by column position, then row of the table."""
        fixes: dict[int, dict[int, str | None]] = {}
        for error in errors:
            row, position = error.offset_position
            fixes.setdefault(position, {})[row] = _error_text(error.detail)
        return fixes

    def batches(self) -> Iterator[pa.RecordBatch]:
        batch = self._batch
        if batch is None:
            return
        for start in range(0, batch.num_rows, self.chunk_rows):
            yield batch.slice(start, self.chunk_rows)

    def warnings(self) -> list[str]:
        return []

    def close(self) -> None:
        self._batch = None  # the sheet is the bulk of the memory; let it go early


def load_from_header(source: Any, sheet: str, header_number: int) -> Any:
    """fastexcel's sheet from the header row on (header_row counts sheet rows from 0); every
    row is sampled for the column types, so a column is typed only if all its cells agree."""
    import fastexcel

    try:
        return source.load_sheet(sheet, header_row=header_number - 1, schema_sample_rows=None)
    except fastexcel.UnsupportedColumnTypeCombinationError as exc:
        # e.g. numbers and durations in one column: fastexcel has no type for it
        raise MixedColumnTypes(str(exc)) from exc
