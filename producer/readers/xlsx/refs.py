"""Cell references ('B7'): the decoder of column letters the head reader uses."""

from __future__ import annotations

import string

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
