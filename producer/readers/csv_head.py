"""The head of a CSV file as records, for the header search: title lines, notes and blank
lines may stand above the header row, as in a spreadsheet saved as CSV.

Pure: works on the decoded start of the file (one pyarrow block), never on the file itself.
"""

from __future__ import annotations

import csv as pycsv
import io
import re
from collections.abc import Iterator

from producer.readers.base import human_bytes
from producer.readers.header_search import HEADER_SEARCH_ROWS, SheetRow
from schemas.errors import ParseError, ParseErrorKind

# the line ends pyarrow's CSV reader counts when it skips lines
_LINE_END = re.compile(r"\r\n|\r|\n")


class HeadText:
    """The decoded start of a CSV file; ``truncated`` when the file goes on past it."""

    def __init__(self, text: str, *, truncated: bool, limit: int) -> None:
        self.text = text
        self.truncated = truncated
        self.limit = limit

    def _scan(self, delimiter: str) -> Iterator[tuple[int, list[str], int]]:
        """(record number, cells, offset where the record ends) of the complete records."""
        buffer = io.StringIO(self.text, newline="")
        reader = pycsv.reader(buffer, delimiter=delimiter, strict=False)
        for number in range(1, HEADER_SEARCH_ROWS + 1):
            try:
                cells = next(reader)
            except StopIteration:
                return
            except pycsv.Error as exc:
                raise ParseError(
                    f"row {number} cannot be read: {exc}", kind=ParseErrorKind.MALFORMED
                ) from exc
            end = buffer.tell()
            if self.truncated and end >= len(self.text):  # the record goes on past the sample
                raise self._too_long(number)
            yield number, cells, end

    def _too_long(self, number: int) -> ParseError:
        limit = human_bytes(self.limit)
        if number == 1:
            message = f"line 1 (the header row) is longer than the {limit} limit for one line"
        else:
            message = (
                f"row {number} is longer than the {limit} limit for one line (or a quote is "
                "never closed)"
            )
        return ParseError(message, kind=ParseErrorKind.TOO_LARGE)

    def records(self, delimiter: str) -> Iterator[SheetRow]:
        """The first HEADER_SEARCH_ROWS records, numbered as the reader numbers rows; lazy,
        so the search stops reading at the header."""
        for number, cells, _ in self._scan(delimiter):
            yield number, cells

    def data_width(self, delimiter: str, header_record: int) -> int | None:
        """The one field count of every non-blank record of the head below the header; None
        when they differ, or there are none."""
        width = None
        records = self._scan(delimiter)
        while True:
            try:
                number, cells, _ = next(records)
            except (StopIteration, ParseError):  # the end of the head, or a record past it
                return width
            if number <= header_record or not any(cells):
                continue
            if width not in (None, len(cells)):
                return None
            width = len(cells)

    def lines_before(self, delimiter: str, record: int) -> int:
        """How many physical lines come before record ``record`` (a quoted cell may hold
        line breaks, so this can exceed ``record - 1``)."""
        start = 0
        for number, _, end in self._scan(delimiter):
            if number == record:
                break
            start = end
        return len(_LINE_END.findall(self.text, 0, start))
