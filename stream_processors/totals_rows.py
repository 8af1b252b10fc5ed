"""A totals row under the data (a sheet's "Total" row with its sums, kept when the sheet was
saved as the upload) is one error for the row, not one per column it leaves empty. Pure.

Only an invalid row is looked at: one that lacks a required value and holds a totals word
(in any of a few languages) as a whole cell. The row stays invalid, as before; its errors say
what it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby

from schemas.records import RowError

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


def merge_totals_rows(
    errors: list[RowError], invalid: Sequence[tuple[int, Mapping[str, str | None]]], missing: str
) -> list[RowError]:
    """``errors`` (sorted by row) with each row that lacks a required value (an error whose
    message is ``missing``) and holds a totals word (``invalid``: the invalid rows' cells)
    as one error on its first column."""
    cells = dict(invalid)
    merged: list[RowError] = []
    for row, group in groupby(errors, key=lambda e: e.row):
        found = list(group)
        word = totals_word(cells.get(row, {})) if any(e.message == missing for e in found) else None
        if word is None:
            merged.extend(found)
        else:
            message = totals_message(word.strip())
            merged.append(found[0].model_copy(update={"message": message}))
    return merged
