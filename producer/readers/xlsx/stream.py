"""Streaming XLSX reader: the sheet XML through C expat (SAX-style), a row at a time.

Cells become text by the rules in text.py, which the fast path follows too: the same
file gives the same batches whichever path reads it.
"""

from __future__ import annotations

import gc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from producer.errors import ParseError, ParseErrorKind
from producer.readers.base import HeaderMapping, ReaderLimits
from producer.readers.headers import map_headers
from producer.readers.rebatch import output_schema, rebatch, shape_batch
from producer.readers.xlsx.cells import Cells, GenericCell
from producer.readers.xlsx.constants import STREAM_MIN_BATCH_ROWS, XML_BLOCK_BYTES
from producer.readers.xlsx.guard import explain_library_error
from producer.readers.xlsx.handlers import install_handlers
from producer.readers.xlsx.parts import read_date_styles, read_epoch, read_shared_strings
from producer.readers.xlsx.sax import new_parser
from producer.readers.xlsx.text import check_cell_sizes, format_text
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
        header_number: int,
        dataset: Dataset,
        chunk_rows: int,
        limits: ReaderLimits,
    ) -> None:
        self.chunk_rows = chunk_rows
        self.limits = limits
        self._block = max(chunk_rows, STREAM_MIN_BATCH_ROWS)
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
            self._activate = install_handlers(
                self._parser, cells, self._rows, self._others, self._numbers, self._found
            )
            self.header, pending = self._read_header(sheet, header_number)
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
        block = self._source.read(XML_BLOCK_BYTES)
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

    def _read_header(
        self, sheet: str, number: int
    ) -> tuple[list[str | None], list[tuple[int, Any]]]:
        """Row ``number`` (the header search found it) as the header; rows above it are
        titles and notes, left out."""
        found = self._found
        while not self._done:
            self._parse_block()
            for at, (row_number, row) in enumerate(found):
                if row_number < number:
                    continue
                if row_number > number:
                    break  # the header row holds no value after all
                header: list[str | None] = [None] * max((c for c, _, _ in row), default=0)
                for column, _, text in row:
                    header[column - 1] = text
                pending = found[at + 1 :]
                found.clear()
                return header, pending
            else:
                found.clear()
                continue
            break
        raise ParseError(
            f"the sheet {sheet!r} is empty: it has no header row", kind=ParseErrorKind.EMPTY
        )

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
