"""A header row repeated among the data (files pasted one under another, an export that
repeats its header on every page) is one error for the row, not one per column. Pure."""

from __future__ import annotations

from itertools import groupby

from schemas.dataset import normalise_header
from schemas.records import RowError

REPEATED_HEADER = "the row repeats the header row: remove it from the file"


def merge_repeated_headers(errors: list[RowError], lookup: dict[str, str]) -> list[RowError]:
    """``errors`` (sorted by row) with each row whose errors all hold their own column's
    header (``lookup``: normalised name or alias -> column, Dataset.header_lookup), two or
    more of them, as one error on its first column."""
    merged: list[RowError] = []
    for _row, group in groupby(errors, key=lambda e: e.row):
        found = list(group)
        if len(found) >= 2 and all(_names_its_column(e, lookup) for e in found):
            merged.append(found[0].model_copy(update={"message": REPEATED_HEADER}))
        else:
            merged.extend(found)
    return merged


def _names_its_column(error: RowError, lookup: dict[str, str]) -> bool:
    return error.value is not None and lookup.get(normalise_header(error.value)) == error.column
