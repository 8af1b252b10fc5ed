"""Readers: turn a spooled file into base.py batches, whatever its format."""

from __future__ import annotations

from pathlib import Path

from producer.errors import ParseError, ParseErrorKind
from producer.readers.base import (
    CALAMINE_FORMATS,
    ESTIMATE_SAMPLE_BYTES,
    FORMATS,
    ChunkReader,
    ReaderLimits,
)
from producer.readers.sniff import sniff_format
from schemas.dataset import Dataset

_UNSUPPORTED = ParseErrorKind.UNSUPPORTED_FORMAT
CALAMINE_BYTES_PER_ROW = 40


def _unknown_format(file_format: str) -> str:
    return f"unknown file format {file_format!r} (known: {', '.join(FORMATS)})"


def open_reader(
    path: Path | str,
    dataset: Dataset,
    chunk_rows: int,
    *,
    file_format: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    limits: ReaderLimits = ReaderLimits(),
) -> ChunkReader:
    """A reader for the file, its header already mapped; raises ParseError when it cannot be.

    The content decides the format; a declared format only has to agree with it.
    """
    path = Path(path)
    found = sniff_format(path)
    if file_format is not None:
        declared = file_format.lower().lstrip(".")
        if declared not in FORMATS:
            raise ParseError(_unknown_format(file_format), kind=_UNSUPPORTED)
        if declared != found:
            raise ParseError(f"the file's content is {found}, not {declared}", kind=_UNSUPPORTED)
    # imported here so one format's dependencies never slow or break another's
    if found == "csv":
        from producer.readers.csv import CsvReader

        return CsvReader(path, dataset, chunk_rows, encoding=encoding, limits=limits)
    if found == "parquet":
        from producer.readers.parquet import ParquetReader

        return ParquetReader(path, dataset, chunk_rows, limits=limits)
    if found == "jsonl":
        from producer.readers.jsonl import JsonlReader

        return JsonlReader(path, dataset, chunk_rows, encoding=encoding, limits=limits)
    if found in CALAMINE_FORMATS:
        from producer.readers.calamine import open_calamine_reader

        return open_calamine_reader(path, found, dataset, chunk_rows, sheet=sheet, limits=limits)
    from producer.readers.xlsx import open_xlsx_reader

    return open_xlsx_reader(path, dataset, chunk_rows, sheet=sheet, limits=limits)


def _estimate_lines(path: Path, header_lines: int) -> int:
    size = path.stat().st_size
    with path.open("rb") as f:
        sample = f.read(ESTIMATE_SAMPLE_BYTES)
    if len(sample) >= size:  # the whole file was sampled: count, do not guess
        lines = len([line for line in sample.splitlines() if line.strip()])
        return max(lines - header_lines, 0)
    head = 0
    for _ in range(header_lines):
        head = sample.find(b"\n", head) + 1
    body = sample[head : sample.rfind(b"\n") + 1]
    lines = body.count(b"\n")
    if lines == 0:
        return 1  # one huge line so far; the parse will tell
    return max(round((size - head) / (len(body) / lines)), 1)


def estimate_rows(path: Path | str, file_format: str | None = None) -> int:
    """A fast row estimate for tiering: metadata where the format has it, else file size over
    the mean line length of the first 64 KiB. Never reads the whole file."""
    path = Path(path)
    file_format = file_format or sniff_format(path)
    if file_format == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception as exc:
            raise ParseError(
                f"the Parquet file cannot be read: {exc}", kind=ParseErrorKind.MALFORMED
            ) from exc
    if file_format == "xlsx":
        from producer.readers.xlsx import estimate_xlsx_rows

        return int(estimate_xlsx_rows(path))
    if file_format in CALAMINE_FORMATS:
        # binary or zipped cells, a few dozen bytes a row; tiering needs only the magnitude
        return max(1, path.stat().st_size // CALAMINE_BYTES_PER_ROW)
    if file_format == "jsonl":
        return _estimate_lines(path, header_lines=0)
    if file_format == "csv":
        return _estimate_lines(path, header_lines=1)
    raise ParseError(_unknown_format(file_format), kind=_UNSUPPORTED)
