"""Streaming CSV reader: pyarrow's incremental parser, every cell kept as text."""

from __future__ import annotations

import csv as pycsv
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from files.sniff import DELIMITERS, SAMPLE_BYTES, detect_delimiter
from files.text_encoding import decode_sample
from producer.readers.base import HeaderMapping, human_bytes
from producer.readers.csv_head import HeadText
from producer.readers.header_search import HeaderSearch, search_header
from producer.readers.headers import map_headers
from producer.readers.rebatch import output_schema, rebatch, shape_batch
from producer.readers.text_file import TextFileReader
from schemas.errors import ParseError, ParseErrorKind

# pyarrow cannot parse blocks smaller than a couple of rows efficiently; never go below this
_MIN_BLOCK = 64 * 1024


class CsvReader(TextFileReader):
    """Reads one CSV file as base.py batches of exactly ``chunk_rows`` rows.

    The header row is found up front (so a bad header fails before any chunk is sent): the
    first of the first 50 records that maps the dataset's required columns, as in a sheet;
    title lines and notes above it are skipped. pyarrow then parses the file from the header
    on, so both agree on quoting, and the header is dropped from the first batch. Row numbers
    count CSV records of the whole file, title lines included, not lines.
    """

    _file: IO[bytes]  # opened by find_header

    def find_header(self) -> None:
        # a line must fit in one pyarrow block; the block size is thus the line limit
        self.block_size = max(self.limits.max_cell_bytes, _MIN_BLOCK)
        self._file = self.path.open("rb")
        self._inspect()
        self._reset()

    def _reset(self) -> None:
        self._skips: list[int] = []  # record numbers of rows pyarrow skipped (blank lines)
        self._skip_i = 0
        self._next_record = self._first_record  # record number of the next row pyarrow reads
        self._bad_row: tuple[int | None, int, int] | None = None

    def _inspect(self) -> None:
        sample = self._file.read(self.block_size)
        if not sample:
            raise ParseError("the file is empty", kind=ParseErrorKind.EMPTY)
        text = decode_sample(sample, self.encoding)
        if not text.strip("\ufeff \t\r\n"):
            raise ParseError("the file is empty", kind=ParseErrorKind.EMPTY)
        text = text.lstrip("\ufeff")
        # the csv module's own field cap (128 KiB) is below our line limit
        pycsv.field_size_limit(max(pycsv.field_size_limit(), self.block_size))
        head = HeadText(text, truncated=len(sample) == self.block_size, limit=self.block_size)
        detected = detect_delimiter(text[:SAMPLE_BYTES])
        # title lines can mislead the delimiter sniffing: the header row decides
        first: HeaderSearch | None = None
        for delimiter in (detected, *(d for d in DELIMITERS if d != detected)):
            found = search_header(head.records(delimiter), self.dataset, "the file")
            if found.header is not None:
                break
            first = first or found
        else:
            assert first is not None
            raise first.error()
        self.delimiter = delimiter
        self.header_record, header = found.header
        # A delimiter closing each row and not the header, or the header and not the rows:
        # the rows' extra fields are read under names of their own (and must be empty,
        # _refuse_unnamed_values), the header's blank extra names are dropped; pyarrow then
        # starts below the header, whose count is not the rows'.
        width = head.data_width(delimiter, self.header_record) or len(header)
        if width < len(header) and not any((c or "").strip() for c in header[width:]):
            header = header[:width]
        self.header = list(header)
        self.unnamed = max(width - len(header), 0)
        shifted = len(self.header) + self.unnamed != len(found.header[1])
        self._first_record = self.header_record + (1 if shifted else 0)
        # pyarrow skips physical lines, then numbers the rows after them as records
        self.skip_lines = head.lines_before(delimiter, self._first_record)
        self._number_shift = self._first_record - 1 - self.skip_lines
        self.mapping: HeaderMapping = map_headers(
            header, self.dataset, self.limits, header_row=self.header_record
        )
        self.schema = output_schema(self.mapping)

    def _on_invalid(self, row: Any) -> str:
        if not row.text.strip():
            # whitespace-only line: skipped, but it still takes up a row number
            if row.number is not None:
                self._skips.append(row.number + self._number_shift)
            return "skip"
        number = None if row.number is None else row.number + self._number_shift
        self._bad_row = (number, row.actual_columns, row.expected_columns)
        return "error"

    def _open(self) -> pacsv.CSVStreamingReader:
        self._file.seek(0)
        names = [f"c{i}" for i in range(len(self.header) + self.unnamed)]
        pa_encoding = "utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding
        return pacsv.open_csv(
            self._file,
            read_options=pacsv.ReadOptions(
                column_names=names,
                block_size=self.block_size,
                skip_rows=self.skip_lines,  # title lines above the header
                use_threads=False,  # row numbers of skipped lines are only known serially
                encoding=pa_encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=self._on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )

    def _record_numbers(self, n: int) -> pa.Array:
        pending = self._skips[self._skip_i :]
        candidates = np.arange(self._next_record, self._next_record + n + len(pending))
        if pending:
            candidates = candidates[~np.isin(candidates, pending)]
        numbers = candidates[:n]
        self._next_record = int(numbers[-1]) + 1
        while self._skip_i < len(self._skips) and self._skips[self._skip_i] < self._next_record:
            self._skip_i += 1
        # wrapped zero-copy: pa.array(ndarray) would import pandas on first use (~0.5 s)
        numbers = np.ascontiguousarray(numbers, dtype=np.int64)
        return pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(numbers)])

    def _explain(self, exc: Exception) -> ParseError:
        row = max(self._next_record, self.header_record + 1)
        if self._bad_row is not None:
            number, actual, expected = self._bad_row
            said = f"the header has {expected}"
            if self.unnamed:
                said = (
                    f"the rows above it have {expected} "
                    f"(the header's {len(self.header)} and {self.unnamed} more)"
                )
            return ParseError(
                f"row {number or row} has {actual} fields, {said} "
                f"(delimiter {self.delimiter!r}; check for stray delimiters or quotes)",
                kind=ParseErrorKind.MALFORMED,
            )
        message = str(exc)
        if isinstance(exc, UnicodeDecodeError) or "UTF8" in message or "decode" in message:
            return self.not_in_encoding(f"in a row at or after row {row}")
        if "straddl" in message:
            return ParseError(
                f"row {row} is longer than the {human_bytes(self.block_size)} limit for one "
                "line (or a quote is never closed)",
                kind=ParseErrorKind.TOO_LARGE,
            )
        first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
        return ParseError(
            f"the file cannot be read as CSV near row {row}: {first}", kind=ParseErrorKind.MALFORMED
        )

    def _raw_batches(self) -> Iterator[pa.RecordBatch]:
        self._reset()  # batches() may be called again: a re-parse starts from scratch
        held: tuple[pa.RecordBatch, pa.Array] | None = None  # the last batch read so far
        try:
            reader = self._open()
            first = True
            while True:
                try:
                    raw = reader.read_next_batch()
                except StopIteration:
                    break
                if raw.num_rows == 0:
                    continue
                rows = self._record_numbers(raw.num_rows)
                self._refuse_unnamed_values(raw, rows)
                if first and self._first_record == self.header_record:  # parsed again
                    raw, rows, first = raw.slice(1), rows.slice(1), False
                    if raw.num_rows == 0:
                        continue
                if held is not None:
                    yield self._shaped(*held)
                held = raw, rows
        except (pa.ArrowException, UnicodeDecodeError) as exc:
            raise self._explain(exc) from exc
        if held is not None:  # the file's last record is checked before it is sent
            self._refuse_open_quote(*held)
            yield self._shaped(*held)

    def _refuse_unnamed_values(self, raw: pa.RecordBatch, rows: pa.Array) -> None:
        """A value in a field past the header's has no column to go to, and dropping it
        would lose it."""
        for index in range(len(self.header), raw.num_columns):
            column = raw.column(index)
            if column.null_count == len(column):
                continue
            at = pc.index(pc.is_valid(column), True).as_py()
            raise ParseError(
                f"row {rows[at].as_py()} has a value in field {index + 1}, past the header's "
                f"{len(self.header)} columns: give that column a header or remove the value, "
                "and upload the file again",
                kind=ParseErrorKind.MALFORMED,
            )

    def _shaped(self, raw: pa.RecordBatch, rows: pa.Array) -> pa.RecordBatch:
        cells = {i: raw.column(i) for i in range(raw.num_columns)}
        return shape_batch(cells, self.mapping, rows, self.schema)

    def _refuse_open_quote(self, raw: pa.RecordBatch, rows: pa.Array) -> None:
        """A quote opened in the last column and never closed takes every line after it
        into that one cell, and pyarrow says nothing: the file's last record then ends in a
        cell with a line break while the file does not end with a closing quote."""
        last = raw.column(raw.num_columns - 1)[raw.num_rows - 1].as_py()
        if last is None or "\n" not in last or self._ends_with_quote():
            return
        lines = last.count("\n") - last.endswith("\n")  # the ones after the quote's own
        raise ParseError(
            f"row {rows[-1].as_py()}: a quote opened in its last cell is never closed, so "
            f"{'the line' if lines == 1 else f'all {lines} lines'} after it would be read into "
            "that cell; close the quote or remove it, and upload the file again",
            kind=ParseErrorKind.MALFORMED,
        )

    def _ends_with_quote(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(max(self.path.stat().st_size - 64, 0))
            tail = f.read().decode(self.encoding, errors="ignore")
        return tail.rstrip(" \t\r\n\ufeff").endswith('"')

    def batches(self) -> Iterator[pa.RecordBatch]:
        return rebatch(self._raw_batches(), self.chunk_rows, self.schema)

    def close(self) -> None:
        if hasattr(self, "_file"):
            self._file.close()
