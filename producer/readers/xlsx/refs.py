"""Cell references ('B7'): the one decoder of column letters both paths use."""

from __future__ import annotations

import string

DIGITS = string.digits  # what ends a reference: its row
_LETTER_VALUES = {letter: n for n, letter in enumerate(string.ascii_uppercase, start=1)}
MAX_COLUMN_LETTERS = 3  # 'XFD' is Excel's last column; openpyxl accepts up to 'ZZZ'


def column_index(letters: str) -> int:
    """0-based column of column letters, openpyxl's rules: 'A' -> 0, 'AB' -> 27, any case.

    Raises ValueError for anything but one to three letters."""
    if 0 < len(letters) <= MAX_COLUMN_LETTERS:
        index = 0
        for letter in letters.upper():
            value = _LETTER_VALUES.get(letter)
            if value is None:
                break
            index = index * 26 + value
        else:
            return index - 1
    raise ValueError(f"'{letters}' is not a valid column name. Column names are from A to ZZZ")


def reference_column(ref: str) -> int:
    """1-based column of a reference like 'B7' (openpyxl's coordinate_to_tuple, whose
    errors it keeps: a ValueError for a bad row, then for bad letters)."""
    at = next((i for i, char in enumerate(ref) if char in DIGITS), len(ref) - 1)
    int(ref[at:])  # the row must be a number even though only the column is wanted
    return column_index(ref[:at]) + 1


def row_number(raw: str) -> int:
    """A <row r="..."> as openpyxl reads it, which accepts r="7.0"."""
    try:
        return int(raw)
    except ValueError:
        value = float(raw)
        if not value.is_integer():
            raise ValueError(f"{raw} is not a valid row number") from None
        return int(value)
