"""Cells that show a spreadsheet's formula error (``#DIV/0!``, ``#N/A``, LibreOffice's
``Err:502``): not a value of any column type, so each is a row error that names it; and, in
a column that reads numbers or dates, the ``#####`` a spreadsheet shows for one too wide.

The readers give such a cell as the text the spreadsheet shows (producer/readers), and a CSV
file saved by Excel or LibreOffice holds the same text. Without this check a text column
would store ``#DIV/0!`` as if someone had typed it, and a number column would call it "not
a decimal number", which hides what went wrong in the file. A column with a parse meets an
error among the values its fast path rejects (``shown_problem``); a text column, which has none,
is searched (``error_cells``).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Excel's error values (those of dynamic arrays and data types too) and LibreOffice's Err:NNN
ERROR_RE = (
    r"^(?:#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!"
    r"|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|PYTHON!)|Err:\d{3})$"
)
_ERROR = re.compile(ERROR_RE)
_TOO_NARROW = re.compile("#{2,}")
_HASH = ord("#")
_SHORTEST, _LONGEST = len("#N/A"), len("#GETTING_DATA")


def is_error(value: str | None) -> bool:
    """Whether one (trimmed) cell text is a spreadsheet error."""
    return value is not None and _ERROR.match(value) is not None


def error_cells(text: pa.Array) -> pa.Array | None:
    """True where a cell's (trimmed) text is a spreadsheet error; None where no cell is.

    A look at a few bytes of each cell (_may_hold_error) rules most columns out before any
    per-value work."""
    if not _may_hold_error(text):
        return None
    found = pc.fill_null(pc.match_substring_regex(text, ERROR_RE), False)
    return found if found.true_count else None


def error_message(shown: str) -> str:
    # mostly a formula that failed; #VALUE! is also how a date beyond the calendar reads
    return f"the cell shows the spreadsheet error {shown}, not a value: fix it in the file"


def shown_problem(value: str | None) -> str | None:
    """Why a cell a column could not read shows the spreadsheet's text rather than a value:
    a spreadsheet error, or the hashes a spreadsheet shows for a number or date too wide for
    its column (a file saved as shown keeps them); None for any other text."""
    if value is None:
        return None
    if is_error(value):
        return error_message(value)
    if _TOO_NARROW.fullmatch(value):
        return (
            f"'{value}' is how a spreadsheet shows a number or date too wide for its column, "
            "not a value: widen the column in the sheet and save the file again"
        )
    return None


def _may_hold_error(text: pa.Array) -> bool:
    """Whether any cell could be an error: of an error's length, starting with ``#``, or
    with ``Err:`` and seven bytes long (cells are whole errors, trimmed). It looks at a few
    bytes per cell, whatever their length."""
    if not pa.types.is_string(text.type):
        return True  # no byte buffer to look at: let the pattern decide
    data = text.buffers()[2]
    if data is None or data.size == 0 or len(text) == 0:
        return False
    offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + len(text) + 1]
    starts, sizes = offsets[:-1], np.diff(offsets)
    raw = np.frombuffer(data, np.uint8)
    hashed = starts[(sizes >= _SHORTEST) & (sizes <= _LONGEST)]
    if (raw[hashed] == _HASH).any():
        return True
    sevens = starts[sizes == len("Err:502")]
    for at, byte in enumerate(b"Err:"):  # the cells left that start so far like Err:
        sevens = sevens[raw[sevens + at] == byte]
    return len(sevens) > 0
