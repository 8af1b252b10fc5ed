"""Fast XLSX path: fastexcel (Rust calamine) loads the whole sheet once as typed Arrow
columns, which pyarrow compute turns into cell text column by column.

The sheet is loaded once and sliced: fastexcel re-parses the whole sheet for every
``n_rows``/``skip_rows`` window, so reading it in windows would be quadratic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from producer.errors import ParseError, ParseErrorKind
from producer.readers.base import HeaderMapping, ReaderLimits
from producer.readers.headers import map_headers
from producer.readers.rebatch import output_schema, shape_batch
from producer.readers.xlsx.constants import EXACT_INT, FIXED_POINT_MAX, NANO
from producer.readers.xlsx.head import HeaderRow, read_header_row, shared_strings
from producer.readers.xlsx.text import (
    CALAMINE_DATETIME,
    check_cell_sizes,
    format_duration,
    format_float,
    format_text,
)
from schemas.dataset import Dataset

_NANO = pa.scalar(NANO, pa.int64())
_FIXED = pa.scalar(FIXED_POINT_MAX, pa.float64())
_EXACT = pa.scalar(float(EXACT_INT), pa.float64())
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
# byte lengths of 'true', 'false' and of CALAMINE_DATETIME's matches (no, 1 to 3 decimals)
_CALAMINE_LENGTHS = pa.array([4, 5, 19, 21, 22, 23], pa.int32())
_ERROR_DETAIL = re.compile(r"got '(?:Error\((\w+)\)|(.*))'$", re.S)


def _replace_rows(text: pa.Array, rows: pa.Array, values: Sequence[str | None]) -> pa.Array:
    """``text`` with the cells at ``rows`` (ascending) replaced by ``values``."""
    mask = np.zeros(len(text), dtype=bool)
    mask[rows.to_numpy(zero_copy_only=False)] = True
    return pc.replace_with_mask(text, pa.array(mask), pa.array(values, pa.string()))


def float_text(array: pa.Array) -> pa.Array:
    """text.format_float for a whole column: integers cast, fractions in fixed point
    (x * 1e9 as an int64), what fixed point cannot hold through Python."""
    magnitude = pc.abs(array)
    integral = pc.and_(pc.equal(pc.floor(array), array), pc.less(magnitude, _EXACT))
    integral = pc.fill_null(integral, True)  # nulls stay null whichever branch they take
    ints = pc.cast(pc.cast(pc.if_else(integral, array, 0.0), pa.int64()), pa.string())
    if pc.all(integral).as_py():  # ids, quantities: the usual case for whole columns
        return pc.if_else(pc.is_null(array), pa.scalar(None, pa.string()), ints)
    fixed = pc.if_else(pc.less(magnitude, _FIXED), magnitude, 0.0)
    nanos = pc.cast(pc.round(pc.multiply(fixed, 1e9)), pa.int64())
    whole = pc.divide(nanos, _NANO)
    fraction = pc.subtract(nanos, pc.multiply(whole, _NANO))
    decimals = pc.utf8_rtrim(pc.utf8_lpad(pc.cast(fraction, pa.string()), 9, "0"), "0")
    point = pc.if_else(pc.equal(fraction, 0), "", ".")
    text = pc.binary_join_element_wise(pc.cast(whole, pa.string()), point, decimals, "")
    negative = pc.and_(pc.less(array, 0.0), pc.not_equal(nanos, 0))
    text = pc.if_else(negative, pc.binary_join_element_wise("-", text, ""), text)
    text = pc.if_else(integral, ints, text)
    rare = pc.and_(pc.invert(integral), pc.fill_null(pc.greater_equal(magnitude, _FIXED), False))
    if pc.any(rare).as_py():
        rows = pc.indices_nonzero(rare)
        values = [format_float(v) for v in pc.take(array, rows).to_pylist()]
        text = _replace_rows(text, rows, values)
    return text


def timestamp_text(array: pa.Array) -> pa.Array:
    # Arrow prints timestamp[ms] as 'YYYY-MM-DD HH:MM:SS.mmm'; the parts are cut from that
    # (strftime is ten times slower)
    if array.type != pa.timestamp("ms"):
        array = pc.cast(array, pa.timestamp("ms"), safe=False)
    printed = pc.cast(array, pa.string())
    whole_second = pc.equal(pc.millisecond(array), 0)
    iso = pc.utf8_replace_slice(printed, 10, 11, "T")
    text = pc.if_else(whole_second, pc.utf8_slice_codeunits(iso, 0, 19), iso)
    # calamine cannot tell a date from a midnight datetime: print the date
    midnight = pc.equal(pc.floor_temporal(array, unit="day"), array)
    text = pc.if_else(midnight, pc.utf8_slice_codeunits(printed, 0, 10), text)
    early = pc.fill_null(pc.less(pc.year(array), 1900), False)
    if pc.any(early).as_py():  # Excel keeps a bare time of day as a datetime on day 0
        clock = pc.if_else(
            whole_second,
            pc.utf8_slice_codeunits(printed, 11, 19),
            pc.utf8_slice_codeunits(printed, 11, 23),
        )
        text = pc.if_else(early, clock, text)
    return text


def string_text(array: pa.Array) -> pa.Array:
    blank = pc.or_(pc.equal(array, ""), pc.utf8_is_space(array))
    if pc.any(blank).as_py():
        array = pc.if_else(blank, pa.scalar(None, pa.string()), array)
    # dates and bools among text come out of calamine in its own spelling; rare, so the
    # vectorised tests are the usual cost and Python fixes the few hits. The length test
    # is a tenth of the regex's cost and leaves it only the rows that could match
    candidates = pc.indices_nonzero(pc.is_in(pc.binary_length(array), _CALAMINE_LENGTHS))
    if len(candidates) == 0:
        return array
    sample = pc.take(array, candidates)
    odd = pc.or_(
        pc.is_in(sample, pa.array(["true", "false"])),
        pc.match_substring_regex(sample, CALAMINE_DATETIME.pattern),
    )
    rows = pc.filter(candidates, pc.fill_null(odd, False))
    if len(rows) == 0:
        return array
    values = [format_text(v) for v in pc.take(array, rows).to_pylist()]
    return _replace_rows(array, rows, values)


def column_text(array: pa.Array) -> pa.Array:
    """Cell text of one fastexcel column, by the rules of text.cell_text."""
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return string_text(pc.cast(array, pa.string()))
    if pa.types.is_floating(kind):
        return float_text(array)
    if pa.types.is_integer(kind):
        return pc.cast(array, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "TRUE", "FALSE")
    if pa.types.is_timestamp(kind):
        return timestamp_text(array)
    if pa.types.is_date(kind):
        return pc.strftime(array, "%Y-%m-%d")
    if pa.types.is_duration(kind):
        values = [None if v is None else format_duration(v) for v in array.to_pylist()]
        return pa.array(values, pa.string())
    return pa.nulls(len(array), pa.string())  # an all-empty column


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


def _stored_texts(path: Path | str, row: HeaderRow) -> dict[int, str]:
    """The header row's text cells, shared strings looked up."""
    strings = shared_strings(path, {int(raw) for kind, raw in row.cells.values() if kind == "s"})
    texts = {}
    for column, (kind, raw) in row.cells.items():
        if kind == "s" and int(raw) in strings:
            texts[column] = strings[int(raw)]
        elif kind in ("inlineStr", "str"):
            texts[column] = raw
    return texts


def _header_texts(row: HeaderRow, texts: dict[int, str], names: dict[int, str]) -> list[str | None]:
    """Header cell text by column: text cells as stored; other cells (numbers, dates) as
    fastexcel names them, which is their cell text."""
    header: list[str | None] = [None] * (max([*row.cells, *names], default=-1) + 1)
    for column, (kind, raw) in row.cells.items():
        if column in texts:
            text: str | None = texts[column]
        elif kind == "e":
            text = raw
        elif kind == "b":
            text = "TRUE" if raw == "1" else "FALSE"
        else:
            text = names.get(column)
        header[column] = None if text is None else format_text(text)
    return header


def _same_header_row(texts: dict[int, str], names: dict[int, str]) -> bool:
    """Row numbers count from the header row found in the XML; fastexcel must have taken
    the same row. Text cells compare directly (fastexcel suffixes '_1' to duplicates)."""
    for column, text in texts.items():
        name = names.get(column, "")
        if text.strip() and name != text and not name.startswith(f"{text}_"):
            return False
    return True


class FastPathUnsuitable(Exception):
    """The sheet is readable, only not by fastexcel: the streaming path must take it."""


class FastXlsxReader:
    """Whole-sheet reader for sheets that fit the memory budget (about 1 KB per row)."""

    def __init__(
        self,
        path: Path | str,
        sheet: str,
        part: str,
        dataset: Dataset,
        chunk_rows: int,
        limits: ReaderLimits,
    ) -> None:
        import fastexcel

        self.chunk_rows = chunk_rows
        found = read_header_row(path, part)
        if found is None:
            raise ParseError(
                f"the sheet {sheet!r} is empty: it has no header row", kind=ParseErrorKind.EMPTY
            )
        # header_row=0 is the first used row, as read_header_row found it; every row is
        # sampled for the column types, so a column is typed only if all its cells agree
        try:
            loaded = fastexcel.read_excel(str(path)).load_sheet(
                sheet, header_row=0, schema_sample_rows=None
            )
        except fastexcel.UnsupportedColumnTypeCombinationError as exc:
            # e.g. numbers and durations in one column: fastexcel has no type for it
            raise FastPathUnsuitable(str(exc)) from exc
        # the columns of the table, in its order; available_columns() would infer every
        # column's type over all rows a second time
        infos = loaded.selected_columns
        names = {i.absolute_index: i.name for i in infos}
        texts = _stored_texts(path, found)
        if not _same_header_row(texts, names):
            raise FastPathUnsuitable("calamine took another row for the header")
        header = _header_texts(found, texts, names)
        self.mapping: HeaderMapping = map_headers(header, dataset, limits)
        self.schema = output_schema(self.mapping)
        table, errors = loaded.to_arrow_with_errors()
        fixes: dict[int, dict[int, str | None]] = {}
        for error in errors.errors if errors else []:
            row, position = error.offset_position
            fixes.setdefault(position, {})[row] = _error_text(error.detail)
        cells: dict[int, pa.Array] = {}
        for position, info in enumerate(infos):
            array = table.column(position)
            if info.absolute_index not in self.mapping.columns:
                cells[info.absolute_index] = _blankable(array)
                continue
            text = column_text(array)
            if position in fixes:
                rows = sorted(fixes[position])
                text = _replace_rows(text, pa.array(rows), [fixes[position][r] for r in rows])
            cells[info.absolute_index] = text
        check_cell_sizes(
            {i: a for i, a in cells.items() if i in self.mapping.columns},
            header,
            limits.max_cell_bytes,
        )
        first = found.number + 1
        numbers = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
        self._batch: pa.RecordBatch | None = shape_batch(cells, self.mapping, numbers, self.schema)

    def batches(self) -> Iterator[pa.RecordBatch]:
        batch = self._batch
        if batch is None:
            return
        for start in range(0, batch.num_rows, self.chunk_rows):
            yield batch.slice(start, self.chunk_rows)

    def close(self) -> None:
        self._batch = None  # the sheet is the bulk of the memory; let it go early
