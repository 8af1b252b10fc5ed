"""Rows among the data that are not data, each one error for its row (on its first column)
rather than one per column: a header row repeated (files pasted one under another, an export
that repeats its header on every page), and a totals row under the data (a sheet's "Total"
row with its sums, kept when the sheet was saved as the upload). Pure.

Only invalid rows are looked at, and they stay invalid; their errors say what they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby

from schemas.dataset import normalise_header
from schemas.records import RowError

REPEATED_HEADER = "the row repeats the header row: remove it from the file"
# a whole cell, case- and space-insensitive, a trailing colon dropped
TOTAL_WORDS = frozenset(
    {
        "total", "totals", "grand total", "sum", "subtotal", "sub-total",
        "summe", "gesamt", "gesamtsumme", "insgesamt", "zwischensumme",
        "total général", "sous-total", "somme", "totale", "totaal", "suma", "summa",
        "razem", "yhteensä", "итого", "合計", "合计", "总计", "小計",
    }
)  # fmt: skip


def totals_word(cells: Mapping[str, str | None]) -> str | None:
    """The first cell of ``cells`` that is a totals word, as written; else None."""
    for text in cells.values():
        if text is not None and " ".join(text.split()).rstrip(":").casefold() in TOTAL_WORDS:
            return text
    return None


def totals_message(word: str) -> str:
    return f"the row is a totals row ('{word}'), not data: remove it from the file"


def merge_not_data_rows(
    errors: list[RowError],
    lookup: Mapping[str, str],
    invalid: Sequence[tuple[int, Mapping[str, str | None]]],
    missing: str,
) -> list[RowError]:
    """``errors`` (sorted by row) with each row that is not data as one error on its first
    column. ``lookup``: normalised name or alias -> column (Dataset.header_lookup);
    ``invalid``: the invalid rows' cells; ``missing``: the message of a missing required
    value."""
    cells = dict(invalid)
    merged: list[RowError] = []
    for row, group in groupby(errors, key=lambda e: e.row):
        found = list(group)
        message = _not_data(found, lookup, cells.get(row, {}), missing)
        if message is None:
            merged.extend(found)
        else:
            merged.append(found[0].model_copy(update={"message": message}))
    return merged


def _not_data(
    found: list[RowError],
    lookup: Mapping[str, str],
    cells: Mapping[str, str | None],
    missing: str,
) -> str | None:
    """A repeated header: two or more errors, each holding its own column's header. A
    totals row: it lacks a required value and holds a totals word."""
    if len(found) >= 2 and all(_names_its_column(e, lookup) for e in found):
        return REPEATED_HEADER
    if any(e.message == missing for e in found):
        word = totals_word(cells)
        if word is not None:
            return totals_message(word.strip())
    return None


def _names_its_column(error: RowError, lookup: Mapping[str, str]) -> bool:
    return error.value is not None and lookup.get(normalise_header(error.value)) == error.column
