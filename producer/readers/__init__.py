"""Readers: turn a spooled file into base.py batches, whatever its format."""

from __future__ import annotations

from pathlib import Path

from files.sniff import CALAMINE_FORMATS, FORMATS, sniff_format, unknown_format
from producer.readers.base import ChunkReader, ReaderLimits
from schemas.dataset import Dataset
from schemas.errors import ParseError, ParseErrorKind

_UNSUPPORTED = ParseErrorKind.UNSUPPORTED_FORMAT


def open_reader(
    path: Path | str,
    dataset: Dataset,
    chunk_rows: int,
    *,
    file_format: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    locale: str | None = None,
    limits: ReaderLimits = ReaderLimits(),
) -> ChunkReader:
    """A reader for the file, its header already mapped; raises ParseError when it cannot be.

    The content decides the format; a declared format only has to agree with it. ``locale``
    (the upload's) names the code page a text file without a BOM or UTF-8 is read in.
    """
    path = Path(path)
    found = sniff_format(path)
    if file_format is not None:
        declared = file_format.lower().lstrip(".")
        if declared not in FORMATS:
            raise ParseError(unknown_format(file_format), kind=_UNSUPPORTED)
        if declared != found:
            raise ParseError(f"the file's content is {found}, not {declared}", kind=_UNSUPPORTED)
    # imported here so one format's dependencies never slow or break another's
    if found == "csv":
        from producer.readers.csv import CsvReader

        return CsvReader(path, dataset, chunk_rows, encoding=encoding, locale=locale, limits=limits)
    if found == "parquet":
        from producer.readers.parquet import ParquetReader

        return ParquetReader(path, dataset, chunk_rows, limits=limits)
    if found == "jsonl":
        from producer.readers.jsonl import JsonlReader

        return JsonlReader(
            path, dataset, chunk_rows, encoding=encoding, locale=locale, limits=limits
        )
    if found in CALAMINE_FORMATS:
        from producer.readers.calamine import open_calamine_reader

        return open_calamine_reader(path, found, dataset, chunk_rows, sheet=sheet, limits=limits)
    from producer.readers.xlsx import open_xlsx_reader

    return open_xlsx_reader(path, dataset, chunk_rows, sheet=sheet, limits=limits)
