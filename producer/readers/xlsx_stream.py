"""Streaming XLSX reader: the sheet XML through C expat (SAX-style), a row at a time.

Cells become text by the rules in xlsx_text.py, which the fast path follows too: the same
file gives the same batches whichever path reads it.
"""

from __future__ import annotations

import gc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from producer.errors import ParseError
from producer.readers.base import HeaderMapping, ReaderLimits
from producer.readers.headers import map_headers
from producer.readers.rebatch import output_schema, rebatch, shape_batch
from producer.readers.xlsx_cells import (
    CACHE_MAX,
    DIGITS,
    MISSING,
    OTHER,
    Cells,
    GenericCell,
    row_number,
)
from producer.readers.xlsx_guard import explain_library_error
from producer.readers.xlsx_sax import (
    CHUNK,
    new_parser,
    read_date_styles,
    read_epoch,
    read_shared_strings,
)
from producer.readers.xlsx_text import check_cell_sizes, format_float, format_text
from schemas.dataset import Dataset


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
        self._found: list[tuple[int, list[GenericCell]]] = []
        self._done = False
        self._archive = zipfile.ZipFile(path)
        try:
            cells = Cells(
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

    def _install(self, cells: Cells) -> Callable[[dict[int, int]], Any]:
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
        kept: list[GenericCell] = []

        def place(at: int, row: list[GenericCell]) -> None:
            assert slots is not None
            filled = template.copy()
            mark = None
            for col, _, text in row:
                if text is not None:
                    slot = slots.get(col)
                    if slot is not None:
                        filled[slot] = text
                    else:
                        mark = OTHER
            if mark is not None or filled != template:
                rows.append(filled)
                others.append(mark)
                numbers.append(at)

        def activate(new_slots: dict[int, int]) -> Callable[[int, list[GenericCell]], None]:
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
                number = number + 1 if r is None else row_number(r)
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
                    found_column = columns.get(ref.rstrip(DIGITS))
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
                        style = date_styles.get(s, MISSING)
                        if style == MISSING:
                            style = date_style(s)
                        if style is not None:
                            text = serial(raw, style)
                        elif "." in raw or "E" in raw or "e" in raw:
                            text = floats.get(raw)
                            if text is None:
                                text = format_float(float(raw))
                                if len(floats) < CACHE_MAX:  # amounts, prices: few values
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
                        other = OTHER
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
