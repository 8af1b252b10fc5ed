"""Streaming XLSX reader (openpyxl, read-only) and the cell text rules both XLSX paths share.

The fast path (xlsx_fast.py) renders whole typed columns with pyarrow; the rules here are
the per-cell definition it must agree with, cell for cell: the same file gives the same
batches whichever path reads it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from producer.errors import ParseError
from producer.readers.base import HeaderMapping, ReaderLimits
from producer.readers.headers import map_headers
from producer.readers.rebatch import output_schema, rebatch, shape_batch
from producer.readers.xlsx_guard import explain_library_error
from schemas.dataset import Dataset

# calamine renders a date or bool found among text cells as '2024-03-01 13:45:00' / 'true';
# text written that way is normalised like a real date or bool, so both paths agree
CALAMINE_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?$")
_CALAMINE_BOOLS = {"true": "TRUE", "false": "FALSE"}
EXACT_INT = 2**53  # beyond it a double's integer part is not exact
NANO = 10**9
# x * 1e9 must stay an exact integer in a double (< 2**53): beyond it nine decimals are
# more digits than a double holds anyway
FIXED_POINT_MAX = 9e6


def format_float(value: float) -> str:
    """42.0 -> '42'; otherwise rounded to nine decimals, trailing zeros trimmed: what Excel's
    General format shows. The rounding is round(x * 1e9), half to even, exactly as
    xlsx_fast.float_text computes it for a whole column."""
    if value.is_integer() and abs(value) < EXACT_INT:
        return str(int(value))
    if not abs(value) < FIXED_POINT_MAX:
        return f"{value:.9f}".rstrip("0").rstrip(".")
    whole, fraction = divmod(round(abs(value) * 1e9), NANO)
    text = f"{whole}.{fraction:09d}".rstrip("0").rstrip(".")
    return "-" + text if value < 0 and (whole or fraction) else text


def _millis(value: dt.datetime | dt.time) -> str:
    ms = value.microsecond // 1000
    return f".{ms:03d}" if ms else ""


def _to_millis(value: dt.datetime) -> dt.datetime:
    # calamine keeps milliseconds, openpyxl microseconds: print at the coarser of the two
    if value.microsecond % 1000:
        ms = dt.timedelta(milliseconds=round(value.microsecond / 1000))
        value = value.replace(microsecond=0) + ms
    return value


def format_datetime(value: dt.datetime) -> str:
    value = _to_millis(value)
    if value.year < 1900:  # Excel stores a bare time of day as a datetime on day 0
        return format_time(value.time())
    if value.hour == value.minute == value.second == value.microsecond == 0:
        # calamine cannot tell a date from a midnight datetime; the date is what is shown
        return value.date().isoformat()
    return value.strftime("%Y-%m-%dT%H:%M:%S") + _millis(value)


def format_time(value: dt.time) -> str:
    if value.microsecond % 1000:
        value = _to_millis(dt.datetime.combine(dt.date(2000, 1, 1), value)).time()
    return value.strftime("%H:%M:%S") + _millis(value)


def format_duration(value: dt.timedelta) -> str:
    millis = round(value.total_seconds() * 1000)
    sign, millis = ("-", -millis) if millis < 0 else ("", millis)
    seconds, ms = divmod(millis, 1000)
    minutes, secs = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    return f"{sign}{hours}:{mins:02d}:{secs:02d}" + (f".{ms:03d}" if ms else "")


def format_text(value: str) -> str | None:
    if not value or value.isspace():
        return None  # a person sees an empty cell
    if len(value) in (4, 5):
        return _CALAMINE_BOOLS.get(value, value)
    if len(value) >= 19 and value[10] == " ":
        match = CALAMINE_DATETIME.match(value)
        if match:
            parsed = dt.datetime.fromisoformat(value.ljust(23, "0") if match[3] else value)
            return format_datetime(parsed)
    return value


_FORMATTERS: dict[type, Callable[[Any], str | None]] = {
    str: format_text,
    bool: lambda v: "TRUE" if v else "FALSE",
    int: str,
    float: format_float,
    dt.datetime: format_datetime,
    dt.date: dt.date.isoformat,
    dt.time: format_time,
    dt.timedelta: format_duration,
}


def cell_text(value: Any) -> str | None:
    """The text a person sees in a cell holding this openpyxl/calamine value."""
    if value is None:
        return None
    formatter = _FORMATTERS.get(type(value))
    return formatter(value) if formatter else format_text(str(value))


def check_cell_sizes(cells: dict[int, pa.Array], header: list[str | None], limit: int) -> None:
    for index, array in cells.items():
        if len(array) and pa.types.is_string(array.type):
            longest = pc.max(pc.binary_length(array)).as_py()
            if longest is not None and longest > limit:
                name = header[index] if index < len(header) else None
                raise ParseError(
                    f"a cell in column {name or index + 1!r} holds {longest} bytes, more than "
                    f"the limit of {limit}"
                )


_OTHER = "x"  # stands for "some text outside the dataset's columns" in a row


def _is_blank(value: Any) -> bool:
    return value is None or (type(value) is str and (not value or value.isspace()))


class StreamingXlsxReader:
    """One sheet through openpyxl's worksheet parser: constant memory, any size.

    Formulas give their cached value (data_only): nothing is ever evaluated. openpyxl
    parses with defusedxml when it is installed, and the guard has rejected DTDs anyway.

    ``openpyxl.load_workbook`` is bypassed for the parts it is made of: in read-only mode
    it sizes every sheet on open, and a sheet whose <dimension> is missing or comes after
    the data (openpyxl's own write-only output) is then parsed once just for that.
    """

    def __init__(
        self,
        path: Path | str,
        sheet: str,
        part: str,
        dataset: Dataset,
        chunk_rows: int,
        limits: ReaderLimits,
    ) -> None:
        # imported here: the fast path never pays for openpyxl
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet
        from openpyxl.worksheet._reader import WorkSheetParser

        self.chunk_rows = chunk_rows
        self.limits = limits
        # a file object, not the path: openpyxl refuses names without an Excel extension,
        # and uploads are spooled under names of their own
        self._file = Path(path).open("rb")  # noqa: SIM115 - lives as long as the reader
        try:
            self._excel = ExcelReader(self._file, read_only=True, data_only=True)
            self._excel.read_manifest()
            self._excel.read_strings()
            self._excel.read_workbook()
            apply_stylesheet(self._excel.archive, self._excel.wb)  # which formats are dates
            book = self._excel.wb
            self._source = self._excel.archive.open(part)
            parser = WorkSheetParser(
                self._source,
                self._excel.shared_strings,
                data_only=True,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
            )
            self._rows = parser.parse()
            self.header = self._read_header(sheet)
            self.mapping: HeaderMapping = map_headers(self.header, dataset, limits)
        except BaseException:
            self.close()
            raise
        self.schema = output_schema(self.mapping)
        # openpyxl numbers columns from 1; the mapping, like the header list, from 0
        self._slots = {index + 1: slot for slot, index in enumerate(self.mapping.columns)}

    def _read_header(self, sheet: str) -> list[str | None]:
        for _, cells in self._rows:
            # any value, even "", starts the used range, as it does for calamine
            if any(c["value"] is not None for c in cells):
                header: list[str | None] = [None] * max(c["column"] for c in cells)
                for cell in cells:
                    header[cell["column"] - 1] = cell_text(cell["value"])
                return header
        raise ParseError(f"the sheet {sheet!r} is empty: it has no header row")

    def _raw_batches(self) -> Iterator[pa.RecordBatch]:
        slots = self._slots
        width = len(slots)
        block = max(self.chunk_rows, 1024)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        # cells outside the dataset only decide whether a row is blank (rebatch.shape_batch
        # keeps such rows so they fail validation visibly): one marker per row is enough
        others: list[str | None] = []
        numbers: list[int] = []
        for number, cells in self._rows:
            values: list[Any] = [None] * width
            other = None
            for cell in cells:
                value = cell["value"]
                if value is None:
                    continue
                slot = slots.get(cell["column"])
                if slot is not None:
                    values[slot] = value
                elif other is None and not _is_blank(value):
                    other = _OTHER
            if other is None and values.count(None) == width:
                continue  # no cell at all: blank, whatever the rules for text
            for target, value in zip(columns, values, strict=True):
                target.append(None if value is None else cell_text(value))
            others.append(other)
            numbers.append(number)
            if len(numbers) >= block:
                yield self._batch(columns, others, numbers)
                columns, others, numbers = [[] for _ in range(width)], [], []
        if numbers:
            yield self._batch(columns, others, numbers)

    def _batch(
        self, columns: list[list[str | None]], others: list[str | None], numbers: list[int]
    ) -> pa.RecordBatch:
        cells = {
            index: pa.array(values, pa.string())
            for index, values in zip(self.mapping.columns, columns, strict=True)
        }
        check_cell_sizes(cells, self.header, self.limits.max_cell_bytes)
        cells[-1] = pa.array(others, pa.string())
        return shape_batch(cells, self.mapping, pa.array(numbers, pa.int64()), self.schema)

    def _guarded(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._raw_batches()
        except ParseError:
            raise
        except Exception as exc:  # openpyxl fails lazily, deep in the sheet
            raise explain_library_error(exc) from exc

    def batches(self) -> Iterator[pa.RecordBatch]:
        return rebatch(self._guarded(), self.chunk_rows, self.schema)

    def close(self) -> None:
        # also called from a failed __init__, when only some of these exist
        source = getattr(self, "_source", None)
        if source is not None:
            source.close()
        excel = getattr(self, "_excel", None)
        if excel is not None:
            excel.archive.close()
        self._file.close()
