"""The cell text rules every sheet reader shares: what a person sees in a cell, as text.

column_text.py renders whole typed columns with pyarrow; the per-cell functions here are
the definition it must agree with, cell for cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from schemas.errors import ParseError, ParseErrorKind

# numbers as Excel's General format shows them
EXACT_INT = 2**53  # beyond it a double's integer part is not exact
NANO = 10**9
# x * 1e9 must stay an exact integer in a double (< 2**53): beyond it nine decimals are
# more digits than a double holds anyway
FIXED_POINT_MAX = 9e6

# calamine renders a date or bool found among text cells as '2024-03-01 13:45:00' / 'true';
# text written that way is normalised like a real date or bool, so every format agrees
CALAMINE_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?$")
_CALAMINE_BOOLS = {"true": "TRUE", "false": "FALSE"}
TIMEDELTA_MAX_MS = dt.timedelta.max // dt.timedelta(milliseconds=1)


def format_float(value: float) -> str:
    """42.0 -> '42'; otherwise rounded to nine decimals, trailing zeros trimmed: what Excel's
    General format shows. The rounding is round(x * 1e9), half to even, exactly as
    column_text.float_text computes it for a whole column."""
    if value.is_integer() and abs(value) < EXACT_INT:
        return str(int(value))
    if not abs(value) < FIXED_POINT_MAX:
        return f"{value:.9f}".rstrip("0").rstrip(".")
    whole, fraction = divmod(round(abs(value) * 1e9), NANO)
    text = f"{whole}.{fraction:09d}".rstrip("0").rstrip(".")
    return "-" + text if value < 0 and (whole or fraction) else text


def _millis(value: dt.datetime | dt.time) -> str:
    ms = value.microsecond // 1000
    return f".{ms:03d}" if ms else ""


def _to_millis(value: dt.datetime) -> dt.datetime:
    # calamine keeps milliseconds, openpyxl microseconds: print at the coarser of the two
    if value.microsecond % 1000:
        ms = dt.timedelta(milliseconds=round(value.microsecond / 1000))
        value = value.replace(microsecond=0) + ms
    return value


def format_datetime(value: dt.datetime) -> str:
    value = _to_millis(value)
    if value.year < 1900:  # Excel stores a bare time of day as a datetime on day 0
        return format_time(value.time())
    if value.hour == value.minute == value.second == value.microsecond == 0:
        # calamine cannot tell a date from a midnight datetime; the date is what is shown
        return value.date().isoformat()
    return value.strftime("%Y-%m-%dT%H:%M:%S") + _millis(value)


def format_time(value: dt.time) -> str:
    if value.microsecond % 1000:
        value = _to_millis(dt.datetime.combine(dt.date(2000, 1, 1), value)).time()
    return value.strftime("%H:%M:%S") + _millis(value)


def format_duration(value: dt.timedelta) -> str:
    millis = round(value.total_seconds() * 1000)
    sign, millis = ("-", -millis) if millis < 0 else ("", millis)
    seconds, ms = divmod(millis, 1000)
    minutes, secs = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    return f"{sign}{hours}:{mins:02d}:{secs:02d}" + (f".{ms:03d}" if ms else "")


def format_text(value: str) -> str | None:
    if not value or value.isspace():
        return None  # a person sees an empty cell
    if len(value) in (4, 5):
        return _CALAMINE_BOOLS.get(value, value)
    if len(value) >= 19 and value[10] == " ":
        match = CALAMINE_DATETIME.match(value)
        if match:
            try:
                parsed = dt.datetime.fromisoformat(value.ljust(23, "0") if match[3] else value)
            except ValueError:  # '2024-02-31 25:61:00': text that only looks like a date
                return value  # kept as typed; validation makes it one invalid row
            return format_datetime(parsed)
    return value


_FORMATTERS: dict[type, Callable[[Any], str | None]] = {
    str: format_text,
    bool: lambda v: "TRUE" if v else "FALSE",
    int: str,
    float: format_float,
    dt.datetime: format_datetime,
    dt.date: dt.date.isoformat,
    dt.time: format_time,
    dt.timedelta: format_duration,
}


def cell_text(value: Any) -> str | None:
    """The text a person sees in a cell holding this openpyxl/calamine value."""
    if value is None:
        return None
    formatter = _FORMATTERS.get(type(value))
    return formatter(value) if formatter else format_text(str(value))


def check_cell_sizes(cells: dict[int, pa.Array], header: list[str | None], limit: int) -> None:
    for index, array in cells.items():
        if len(array) and pa.types.is_string(array.type):
            longest = pc.max(pc.binary_length(array)).as_py()
            if longest is not None and longest > limit:
                name = header[index] if index < len(header) else None
                raise ParseError(
                    f"a cell in column {name or index + 1!r} holds {longest} bytes, more than "
                    f"the limit of {limit}",
                    kind=ParseErrorKind.TOO_LARGE,
                )
