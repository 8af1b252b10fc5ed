"""Parquet reader: row groups streamed in batches, values turned into the text a person sees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from producer.readers.base import HeaderMapping, ReaderLimits
from producer.readers.headers import map_headers
from producer.readers.rebatch import output_schema, rebatch, shape_batch
from schemas.dataset import Dataset
from schemas.errors import ParseError, ParseErrorKind


def _strip_zero_fraction(text: pa.Array) -> pa.Array:
    # "05.120000" -> "05.12", "05.000000" -> "05": what a spreadsheet would show
    text = pc.replace_substring_regex(text, pattern=r"(\.\d*?)0+$", replacement=r"\1")
    return pc.replace_substring_regex(text, pattern=r"\.$", replacement="")


def as_text(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One column as ``pa.string()`` cells: ints without .0, ISO dates/datetimes, TRUE/FALSE;
    empty strings are null, as empty cells are."""
    text = _to_string(array)
    if pa.types.is_string(text.type) and pc.any(pc.equal(text, "")).as_py():
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return text


def _to_string(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _to_string(array.dictionary_decode())
    if pa.types.is_string(kind):
        return array
    if pa.types.is_large_string(kind):
        return array.cast(pa.string())
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "TRUE", "FALSE")
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            # the sheet contract has no offsets: aware values are given as UTC wall time
            array = array.cast(pa.timestamp(kind.unit, "UTC"))
        text = pc.strftime(array, format="%Y-%m-%dT%H:%M:%S")
        return _strip_zero_fraction(text)
    if pa.types.is_time(kind):
        return _strip_zero_fraction(array.cast(pa.string()))
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            return array.cast(pa.string())
        except pa.ArrowInvalid as exc:
            raise ParseError(
                "a binary column holds bytes that are not text", kind=ParseErrorKind.ENCODING
            ) from exc
    if pa.types.is_nested(kind):
        values = [None if v is None else json.dumps(v, default=str) for v in array.to_pylist()]
        return pa.array(values, pa.string())
    try:
        return array.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())


class ParquetReader:
    """Reads the dataset's columns of one Parquet file; row numbers are row index + 2."""

    def __init__(
        self,
        path: Path | str,
        dataset: Dataset,
        chunk_rows: int,
        *,
        limits: ReaderLimits | None = None,
    ) -> None:
        self.path = Path(path)
        self.chunk_rows = chunk_rows
        self.limits = limits or ReaderLimits()
        try:
            self._file = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise ParseError(
                f"the Parquet file cannot be read: {exc}", kind=ParseErrorKind.MALFORMED
            ) from exc
        self.names: list[str] = list(self._file.schema_arrow.names)
        self.mapping: HeaderMapping = map_headers(self.names, dataset, self.limits)
        self.schema = output_schema(self.mapping)

    def _raw_batches(self) -> Iterator[pa.RecordBatch]:
        # only the dataset's columns are read: a wide file's other columns never leave disk,
        # so a row counts as blank when all of *those* are empty
        wanted = list(self.mapping.columns)
        names = [self.names[i] for i in wanted]
        start = 2
        try:
            for raw in self._file.iter_batches(batch_size=self.chunk_rows, columns=names):
                n = raw.num_rows
                if n == 0:
                    continue
                rows = pa.array(range(start, start + n), pa.int64())
                start += n
                cells = {i: as_text(raw.column(j)) for j, i in enumerate(wanted)}
                yield shape_batch(cells, self.mapping, rows, self.schema)
        except (pa.ArrowException, OSError) as exc:
            raise ParseError(
                f"the Parquet file cannot be read near row {start}: {exc}",
                kind=ParseErrorKind.MALFORMED,
            ) from exc

    def batches(self) -> Iterator[pa.RecordBatch]:
        return rebatch(self._raw_batches(), self.chunk_rows, self.schema)

    def warnings(self) -> list[str]:
        return []

    def close(self) -> None:
        self._file.close()
