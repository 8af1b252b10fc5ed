"""Streaming XLSX reader (C expat, SAX-style) and the cell text rules both XLSX paths share.

The fast path (xlsx_fast.py) renders whole typed columns with pyarrow; the rules here are
the per-cell definition it must agree with, cell for cell: the same file gives the same
batches whichever path reads it.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import zipfile
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
from producer.readers.xlsx_sax import (
    CHUNK,
    new_parser,
    read_date_styles,
    read_epoch,
    read_shared_strings,
)
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
_DIGITS = "0123456789"
_MISSING = -1
# serials the date fast path prints itself; the rest (times of day, 1900's phantom leap day,
# out of range, durations) go through openpyxl's own from_excel
_FAST_SERIALS = (61, 2_900_000)
_CACHE_MAX = 100_000


def _is_float(raw: str) -> bool:
    return "." in raw or "E" in raw or "e" in raw  # openpyxl's test, _cast_number


def _row_number(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        value = float(raw)  # openpyxl accepts r="7.0"
        if not value.is_integer():
            raise ValueError(f"{raw} is not a valid row number") from None
        return int(value)


class _Cells:
    """Cell text from what a <c> stores, by openpyxl's reading of it (read-only, data_only)
    followed by ``cell_text``; the common kinds are inlined in the sheet handlers."""

    def __init__(
        self, strings: list[str | None], dates: set[int], durations: set[int], epoch: dt.datetime
    ) -> None:
        self.strings = strings  # shared strings, already as cell text
        self.dates = dates
        self.durations = durations
        self.epoch = epoch
        # style attribute as written -> its index when a date style, else None
        self.date_styles: dict[str | None, int | None] = {}
        self._day_text: dict[Any, str] = {}
        self._clock: dict[int, str] = {}
        self.columns: dict[str, int] = {}

    def date_style(self, s: str | None) -> int | None:
        style = 0 if s is None else int(s) if s else -1  # openpyxl: s="" is no style at all
        found = style if style in self.dates else None
        if len(self.date_styles) < _CACHE_MAX:
            self.date_styles[s] = found
        return found

    def column(self, ref: str) -> int:
        """1-based column of a reference like 'B7' (openpyxl's coordinate_to_tuple)."""
        letters = ref.rstrip(_DIGITS)
        column = self.columns.get(letters)
        if column is None:
            from openpyxl.utils.cell import coordinate_to_tuple

            column = coordinate_to_tuple(ref)[1]
            if len(self.columns) < _CACHE_MAX:
                self.columns[letters] = column
        return column

    def serial(self, raw: str, style: int) -> str:
        """A number in a date style: openpyxl's from_excel, then cell_text."""
        value: float = float(raw) if _is_float(raw) else int(raw)
        if _FAST_SERIALS[0] <= value < _FAST_SERIALS[1] and style not in self.durations:
            day, fraction = divmod(value, 1)
            millis = round(fraction * 86400 * 1000)  # from_excel's arithmetic, to the bit
            if millis < 86_400_000:
                date = self._day_text.get(day)
                if date is None:
                    date = (self.epoch + dt.timedelta(days=day)).date().isoformat()
                    if len(self._day_text) >= _CACHE_MAX:
                        self._day_text.clear()
                    self._day_text[day] = date
                if not millis:
                    return date  # midnight: the date is what is shown
                seconds, ms = divmod(millis, 1000)
                clock = self._clock.get(seconds)
                if clock is None:  # at most 86,400 of them
                    minutes, second = divmod(seconds, 60)
                    clock = self._clock[seconds] = (
                        f"T{minutes // 60:02d}:{minutes % 60:02d}:{second:02d}"
                    )
                return f"{date}{clock}.{ms:03d}" if ms else date + clock
        from openpyxl.utils.datetime import from_excel

        try:
            moment = from_excel(value, self.epoch, timedelta=style in self.durations)
        except (OverflowError, ValueError):
            return "#VALUE!"  # openpyxl's word for a serial outside the calendar
        text = cell_text(moment)
        assert text is not None
        return text

    def convert(
        self, kind: str | None, s: str | None, raw: str | None, inline: str | None
    ) -> tuple[bool, str | None]:
        """(whether openpyxl sees a value in the cell, its cell text)."""
        if kind == "inlineStr":  # openpyxl reads <is> only, never <v>
            return (False, None) if inline is None else (True, format_text(inline))
        if not raw:
            return False, None
        if kind is None or kind == "n":
            style = self.date_style(s)
            if style is not None:
                return True, self.serial(raw, style)
            return True, format_float(float(raw)) if _is_float(raw) else str(int(raw))
        if kind == "s":
            return True, self.strings[int(raw)]
        if kind == "b":
            return True, "TRUE" if int(raw) else "FALSE"
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return True, cell_text(from_ISO8601(raw))
        return True, format_text(raw)  # "str", "e" (#DIV/0!) and unknown kinds: as stored


# a row as the header search keeps it: 1-based column, value seen, cell text
_GenericCell = tuple[int, bool, str | None]


class StreamingXlsxReader:
    """One sheet streamed through the C expat parser, 1 MiB of XML at a time: constant
    memory (plus the shared-strings table), any size.

    The cell text is exactly what openpyxl in read-only, data_only mode reads, passed
    through ``cell_text``: formulas give their cached <v>, nothing is evaluated; dates come
    from serials by the cell's style (styles.xml), in the workbook's epoch. The guard has
    rejected DTDs before this runs; the parser refuses them again.
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
        self.chunk_rows = chunk_rows
        self.limits = limits
        self._block = max(chunk_rows, 1024)
        self._rows: list[list[str | None]] = []
        self._others: list[str | None] = []
        self._numbers: list[int] = []
        self._found: list[tuple[int, list[_GenericCell]]] = []
        self._done = False
        self._archive = zipfile.ZipFile(path)
        try:
            cells = _Cells(
                read_shared_strings(self._archive, format_text),
                *read_date_styles(self._archive),
                read_epoch(self._archive),
            )
            self._source = self._archive.open(part)
            self._parser = new_parser()
            self._activate = self._install(cells)
            self.header, pending = self._read_header(sheet)
            self.mapping: HeaderMapping = map_headers(self.header, dataset, limits)
        except BaseException:
            self.close()
            raise
        self.schema = output_schema(self.mapping)
        # cell references number columns from 1; the mapping, like the header list, from 0
        place = self._activate({index + 1: slot for slot, index in enumerate(self.mapping.columns)})
        for number, row in pending:
            place(number, row)

    def _parse_block(self) -> None:
        block = self._source.read(CHUNK)
        # the handlers allocate a dict per element and create no reference cycles: the
        # cyclic collector, run every few hundred of them, only costs (a quarter of the time)
        paused = gc.isenabled()
        gc.disable()
        try:
            self._parser.Parse(block, not block)
        finally:
            if paused:
                gc.enable()
        self._done = not block

    def _read_header(self, sheet: str) -> tuple[list[str | None], list[tuple[int, Any]]]:
        found = self._found
        while not self._done:
            self._parse_block()
            for at, (_, row) in enumerate(found):
                # any value, even "", starts the used range, as it does for calamine
                if any(present for _, present, _ in row):
                    header: list[str | None] = [None] * max(column for column, _, _ in row)
                    for column, _, text in row:
                        header[column - 1] = text
                    pending = found[at + 1 :]
                    found.clear()
                    return header, pending
            found.clear()
        raise ParseError(f"the sheet {sheet!r} is empty: it has no header row")

    def _install(self, cells: _Cells) -> Callable[[dict[int, int]], Any]:
        """Set the parser's handlers; returns ``activate(slots)``, which switches from
        keeping whole rows (while the header is looked for) to filling the dataset's slots.

        The hot path is here, inlined: a call per element is most of the cost."""
        parser = self._parser
        rows, others, numbers, found = self._rows, self._others, self._numbers, self._found
        strings = cells.strings
        date_styles = cells.date_styles
        columns = cells.columns
        floats: dict[str, str] = {}  # number text -> cell text, for repeated values
        date_style, column_of, serial, convert = (
            cells.date_style, cells.column, cells.serial, cells.convert
        )  # fmt: skip
        parts: list[str] = []  # character data since the last <v> or <t>
        inline: list[str] = []  # the <t> texts of the current cell
        slots: dict[int, int] | None = None
        template: list[str | None] = []
        tag_c, tag_v, tag_t, tag_row, tag_is, tag_rph = "c", "v", "t", "row", "is", "rPh"
        text_tags = (tag_v, tag_t)
        cell: dict[str, str] = {}
        raw: str | None = None
        has_inline = phonetic = generic = False
        number = column = 0
        values: list[str | None] = []
        other: str | None = None
        kept: list[_GenericCell] = []

        def place(at: int, row: list[_GenericCell]) -> None:
            assert slots is not None
            filled = template.copy()
            mark = None
            for col, _, text in row:
                if text is not None:
                    slot = slots.get(col)
                    if slot is not None:
                        filled[slot] = text
                    else:
                        mark = _OTHER
            if mark is not None or filled != template:
                rows.append(filled)
                others.append(mark)
                numbers.append(at)

        def activate(new_slots: dict[int, int]) -> Callable[[int, list[_GenericCell]], None]:
            nonlocal slots, template
            slots, template = new_slots, [None] * len(new_slots)
            return place

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal cell, raw, has_inline, phonetic, number, column, values, other, generic
            nonlocal kept
            if name == tag_c:
                cell = attrs
                raw = None
                has_inline = False
            elif name in text_tags:  # <v>, <t>
                parts.clear()
            elif name == tag_is:
                has_inline = True
                inline.clear()  # only the <t> of this <is> count
            elif name == tag_row:
                r = attrs.get("r")
                number = number + 1 if r is None else _row_number(r)
                column = 0
                other = None
                if slots is None:
                    generic = True
                    kept = []
                else:
                    generic = False
                    values = template.copy()
            elif name == tag_rph:
                phonetic = True

        def end(name: str) -> None:
            nonlocal raw, phonetic, column, other
            if name == tag_c:
                ref = cell.get("r")
                if ref:
                    found_column = columns.get(ref.rstrip(_DIGITS))
                    column = column_of(ref) if found_column is None else found_column
                else:
                    column += 1
                kind = cell.get("t")
                text: str | None
                if generic:
                    joined = "".join(inline) if has_inline else None
                    kept.append((column, *convert(kind, cell.get("s"), raw, joined)))
                    return
                if kind == "n" or kind is None:
                    if raw:
                        s = cell.get("s")
                        style = date_styles.get(s, _MISSING)
                        if style == _MISSING:
                            style = date_style(s)
                        if style is not None:
                            text = serial(raw, style)
                        elif "." in raw or "E" in raw or "e" in raw:
                            text = floats.get(raw)
                            if text is None:
                                text = format_float(float(raw))
                                if len(floats) < _CACHE_MAX:  # amounts, prices: few values
                                    floats[raw] = text
                        else:
                            text = str(int(raw))
                    else:
                        text = None
                elif kind == "inlineStr":
                    if has_inline:
                        text = "".join(inline)
                        # format_text changes only blanks, 4-5 letter words ('true') and
                        # 'YYYY-MM-DD hh:mm:ss' dates; anything else is kept as typed
                        size = len(text)
                        if size in (0, 4, 5) or (size >= 19 and text[10] == " ") or text.isspace():
                            text = format_text(text)
                    else:
                        text = None
                elif kind == "s":
                    text = strings[int(raw)] if raw else None
                elif kind == "b":
                    text = ("TRUE" if int(raw) else "FALSE") if raw else None
                else:
                    joined = "".join(inline) if has_inline else None
                    text = convert(kind, cell.get("s"), raw, joined)[1]
                if text is not None:
                    slot = slots.get(column)  # type: ignore[union-attr]
                    if slot is not None:
                        values[slot] = text
                    else:
                        other = _OTHER
            elif name == tag_v:
                raw = "".join(parts)
            elif name == tag_t:
                if not phonetic:
                    inline.append("".join(parts))
            elif name == tag_is:
                pass  # the most frequent end tag with nothing to do
            elif name == tag_row:
                if generic:
                    if slots is None:
                        found.append((number, kept))
                    else:  # the row the header search stopped in
                        place(number, kept)
                elif other is not None or values != template:
                    rows.append(values)
                    others.append(other)
                    numbers.append(number)
                parts.clear()
            elif name == tag_rph:
                phonetic = False

        def root(name: str, attrs: dict[str, str]) -> None:
            # some writers prefix the main namespace ('x:row'): match the root's prefix
            nonlocal tag_c, tag_v, tag_t, tag_row, tag_is, tag_rph, text_tags
            prefix = name[: name.index(":") + 1] if ":" in name else ""
            tag_c, tag_v, tag_t, tag_row, tag_is, tag_rph = (
                prefix + tag for tag in ("c", "v", "t", "row", "is", "rPh")
            )
            text_tags = (tag_v, tag_t)
            parser.StartElementHandler = start
            start(name, attrs)

        parser.StartElementHandler = root
        parser.EndElementHandler = end
        parser.CharacterDataHandler = parts.append
        return activate

    def _raw_batches(self) -> Iterator[pa.RecordBatch]:
        while True:
            if len(self._numbers) >= self._block:
                yield self._batch()
            if self._done:
                break
            self._parse_block()
        if self._numbers:
            yield self._batch()

    def _batch(self) -> pa.RecordBatch:
        columns = list(zip(*self._rows, strict=True)) if self._rows else []
        if not columns:
            columns = [() for _ in self.mapping.columns]
        cells = {
            index: pa.array(values, pa.string())
            for index, values in zip(self.mapping.columns, columns, strict=True)
        }
        check_cell_sizes(cells, self.header, self.limits.max_cell_bytes)
        cells[-1] = pa.array(self._others, pa.string())
        batch = shape_batch(cells, self.mapping, pa.array(self._numbers, pa.int64()), self.schema)
        # cleared in place: the parser's handlers hold these very lists
        self._rows.clear()
        self._others.clear()
        self._numbers.clear()
        return batch

    def _guarded(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._raw_batches()
        except ParseError:
            raise
        except Exception as exc:  # a damaged sheet fails lazily, deep in the XML
            raise explain_library_error(exc) from exc

    def batches(self) -> Iterator[pa.RecordBatch]:
        return rebatch(self._guarded(), self.chunk_rows, self.schema)

    def close(self) -> None:
        # also called from a failed __init__, when only some of these exist
        source = getattr(self, "_source", None)
        if source is not None:
            source.close()
        self._parser = None
        self._archive.close()
