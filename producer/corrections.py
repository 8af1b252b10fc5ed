"""Reading a file of corrections: rows that replace invalid rows of an earlier job, each with
the row number it had there (a ``row_no`` column, or ``row`` as in the errors CSV). The
row numbers become the rows' own, so the correction's rows, errors and result records carry
the original file's row numbers."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Column, Dataset, normalise_header
from schemas.errors import ParseError, ParseErrorKind

ROW_NO = "row_no"


def corrections_dataset(dataset: Dataset) -> Dataset:
    """The dataset as a reader of corrections sees it: one more required column, the row
    number (``row`` is accepted too, unless the dataset names a column so)."""
    taken = set(dataset.header_lookup)
    aliases = tuple(a for a in ("row", "Row number") if normalise_header(a) not in taken)
    row = Column.model_validate(
        {"name": ROW_NO, "type": "integer", "required": True, "aliases": aliases}
    )
    return Dataset.model_validate({**dataset.model_dump(), "columns": [row, *dataset.columns]})


def _row_numbers(column: pa.Array) -> pa.Array:
    if pa.types.is_integer(column.type):
        numbers = pc.cast(column, pa.int64())
    else:
        text = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
        bad = pc.invert(pc.fill_null(pc.match_substring_regex(text, r"^\d{1,15}(\.0+)?$"), False))
        if pc.any(bad).as_py():
            shown = text.filter(bad)[0].as_py()
            raise ParseError(
                f"the row_no column must hold the row number each correction replaces; "
                f"{shown!r} is not one",
                kind=ParseErrorKind.MALFORMED,
            )
        numbers = pc.cast(pc.replace_substring_regex(text, r"\.0+$", ""), pa.int64())
    if numbers.null_count:
        raise ParseError("a correction has no row_no", kind=ParseErrorKind.MALFORMED)
    return numbers


def with_original_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches with ``row_no`` as their row numbers (and no ``row_no`` column). A row
    number given twice fails the file: which of the two would count is not clear."""
    seen: set[int] = set()
    for batch in batches:
        numbers = _row_numbers(batch.column(ROW_NO))
        for number in numbers.to_pylist():
            if number in seen:
                raise ParseError(
                    f"row {number} is corrected twice in the file; keep one correction per row",
                    kind=ParseErrorKind.MALFORMED,
                )
            seen.add(number)
        keep = [name for name in batch.schema.names if name not in (ROW_NO, ROW_COLUMN)]
        columns = [batch.column(name) for name in keep]
        yield pa.RecordBatch.from_arrays([*columns, numbers], names=[*keep, ROW_COLUMN])
