"""JSON Lines reader: one object per line, its keys being the headers."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO, Any

import pyarrow as pa

from producer.readers.base import HeaderMapping, human_bytes
from producer.readers.headers import map_headers
from producer.readers.text_file import TextFileReader
from schemas.arrow_codec import ROW_COLUMN
from schemas.errors import ParseError, ParseErrorKind

# keys are collected from this many lines before the header is fixed
HEADER_SCAN_LINES = 1000


def _utf8(text: str) -> str:
    """JSON may escape a lone surrogate ('\\ud800'), which no UTF-8 text can hold: it becomes
    U+FFFD, as an undecodable byte does anywhere else, and its row goes on."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _int_or_text(digits: str) -> int | str:
    # Python refuses ints of more than 4300 digits: such a value stays text, one bad cell
    try:
        return int(digits)
    except ValueError:
        return digits


def cell_text(value: Any, escaped: bool = True) -> str | None:
    """A JSON value as the text a person would type in a sheet; ``escaped``: its line may
    escape a lone surrogate (_utf8), which only a line holding ``\\u`` can."""
    if value is None:
        return None
    if isinstance(value, str):
        return (_utf8(value) if escaped else value) or None
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return _utf8(json.dumps(value, ensure_ascii=False))


def _has_content(value: Any) -> bool:
    """Whether a JSON value makes its row non-blank: anything but null and blank text."""
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


class JsonlReader(TextFileReader):
    """Row numbers are line numbers + 1, so the first line is row 2 as in a sheet."""

    _text: IO[str] | None = None

    def find_header(self) -> None:
        """The keys of the first lines' objects, in first-seen order, are the header."""
        keys: dict[str, None] = {}  # an ordered set: first-seen order is the header order
        for _, obj, _ in self._objects(max_lines=HEADER_SCAN_LINES):
            keys.update(dict.fromkeys(obj))
        self.keys = list(keys)
        self.mapping: HeaderMapping = map_headers(self.keys, self.dataset, self.limits)
        self._wanted = [(self.keys[i], name) for i, name in self.mapping.columns.items()]
        fields = [pa.field(name, pa.string()) for _, name in self._wanted]
        self.schema = pa.schema([*fields, pa.field(ROW_COLUMN, pa.int64())])

    def _objects(self, max_lines: int | None = None) -> Iterator[tuple[int, dict[str, Any], bool]]:
        """(line number, object, whether the line holds an escape \\u)."""
        limit = self.limits.max_cell_bytes
        if self._text is not None:
            self._text.close()
        self._text = io.TextIOWrapper(self.path.open("rb"), encoding=self.encoding, newline=None)
        line_no = 0
        try:
            while max_lines is None or line_no < max_lines:
                line = self._text.readline(limit + 1)
                if not line:
                    return
                line_no += 1
                if len(line) > limit and not line.endswith("\n"):
                    raise ParseError(
                        f"line {line_no} is longer than the {human_bytes(limit)} limit",
                        kind=ParseErrorKind.TOO_LARGE,
                    )
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ParseError(
                        f"line {line_no} is not valid JSON: {exc.msg} (column {exc.colno})",
                        kind=ParseErrorKind.MALFORMED,
                    ) from exc
                except ValueError:  # an integer past Python's 4300 digits: read as its text
                    obj = json.loads(line, parse_int=_int_or_text)
                if not isinstance(obj, dict):
                    raise ParseError(
                        f"line {line_no} is not a JSON object", kind=ParseErrorKind.MALFORMED
                    )
                yield line_no, obj, "\\u" in line
        except UnicodeDecodeError as exc:
            raise self.not_in_encoding(f"line {line_no + 1}") from exc

    def _build(self, cells: list[list[str | None]], rows: list[int]) -> pa.RecordBatch:
        arrays = [pa.array(column, pa.string()) for column in cells]
        return pa.RecordBatch.from_arrays([*arrays, pa.array(rows, pa.int64())], schema=self.schema)

    def batches(self) -> Iterator[pa.RecordBatch]:
        cells: list[list[str | None]] = [[] for _ in self._wanted]
        rows: list[int] = []
        keys = [key for key, _ in self._wanted]
        for line_no, obj, escaped in self._objects():
            if not any(_has_content(v) for v in obj.values()):
                continue  # a wholly empty row, like a blank line in a sheet
            for column, key in zip(cells, keys, strict=True):
                column.append(cell_text(obj.get(key), escaped))
            rows.append(line_no + 1)
            if len(rows) == self.chunk_rows:
                yield self._build(cells, rows)
                cells, rows = [[] for _ in self._wanted], []
        if rows:
            yield self._build(cells, rows)

    def close(self) -> None:
        if self._text is not None:
            self._text.close()
