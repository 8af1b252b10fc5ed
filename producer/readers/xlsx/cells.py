"""Cell conversion of the streaming XLSX reader: shared strings, date serials by style, the
common cell kinds, each to the text text.py defines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from producer.readers.xlsx.constants import CACHE_MAX, FAST_SERIALS
from producer.readers.xlsx.refs import DIGITS, reference_column
from producer.readers.xlsx.text import cell_text, format_float, format_text

OTHER = "x"  # stands for "some text outside the dataset's columns" in a row
MISSING = -1
INF = float("inf")


def is_float(raw: str) -> bool:
    return "." in raw or "E" in raw or "e" in raw  # openpyxl's test, _cast_number


def number_text(raw: str) -> str | None:
    """The cell text of a number cell's <v>; what is no number is kept as written (one odd
    cell is one invalid row, never a failed file)."""
    try:
        return format_float(float(raw)) if is_float(raw) else str(int(raw))
    except ValueError:  # 'abc', '1.2.3', or an integer of more than 4300 digits
        return format_text(raw)


def boolean_text(raw: str) -> str | None:
    """A boolean cell: 1/0 as Excel writes it; 'true'/'false' as some writers do."""
    word = raw.strip().lower()
    if word in ("1", "true"):
        return "TRUE"
    if word in ("0", "false"):
        return "FALSE"
    return format_text(raw)


class Cells:
    """Cell text from what a <c> stores, by openpyxl's reading of it (read-only, data_only)
    followed by ``cell_text``; the common kinds are inlined in the sheet handlers."""

    def __init__(
        self, strings: list[str | None], dates: set[int], durations: set[int], epoch: dt.datetime
    ) -> None:
        self.strings = strings  # shared strings, already as cell text
        self.dates = dates
        self.durations = durations
        self.epoch = epoch
        # style attribute as written -> its index when a date style, else None
        self.date_styles: dict[str | None, int | None] = {}
        self._day_text: dict[Any, str] = {}
        self._clock: dict[int, str] = {}
        self.columns: dict[str, int] = {}

    def date_style(self, s: str | None) -> int | None:
        style = 0 if s is None else int(s) if s else -1  # openpyxl: s="" is no style at all
        found = style if style in self.dates else None
        if len(self.date_styles) < CACHE_MAX:
            self.date_styles[s] = found
        return found

    def column(self, ref: str) -> int:
        """1-based column of a reference like 'B7' (openpyxl's coordinate_to_tuple)."""
        letters = ref.rstrip(DIGITS)
        column = self.columns.get(letters)
        if column is None:
            column = reference_column(ref)
            if len(self.columns) < CACHE_MAX:
                self.columns[letters] = column
        return column

    def serial(self, raw: str, style: int) -> str | None:
        """A number in a date style: openpyxl's from_excel, then cell_text."""
        try:
            value: float = float(raw) if is_float(raw) else int(raw)
        except ValueError:
            return number_text(raw)
        if value != value or value in (INF, -INF):
            return "#VALUE!"  # openpyxl's word for a serial outside the calendar
        if FAST_SERIALS[0] <= value < FAST_SERIALS[1] and style not in self.durations:
            day, fraction = divmod(value, 1)
            millis = round(fraction * 86400 * 1000)  # from_excel's arithmetic, to the bit
            if millis < 86_400_000:
                date = self._day_text.get(day)
                if date is None:
                    date = (self.epoch + dt.timedelta(days=day)).date().isoformat()
                    if len(self._day_text) >= CACHE_MAX:
                        self._day_text.clear()
                    self._day_text[day] = date
                if not millis:
                    return date  # midnight: the date is what is shown
                seconds, ms = divmod(millis, 1000)
                clock = self._clock.get(seconds)
                if clock is None:  # at most 86,400 of them
                    minutes, second = divmod(seconds, 60)
                    clock = self._clock[seconds] = (
                        f"T{minutes // 60:02d}:{minutes % 60:02d}:{second:02d}"
                    )
                return f"{date}{clock}.{ms:03d}" if ms else date + clock
        from openpyxl.utils.datetime import from_excel

        try:
            moment = from_excel(value, self.epoch, timedelta=style in self.durations)
        except (OverflowError, ValueError):
            return "#VALUE!"  # openpyxl's word for a serial outside the calendar
        text = cell_text(moment)
        assert text is not None
        return text

    def convert(
        self, kind: str | None, s: str | None, raw: str | None, inline: str | None
    ) -> tuple[bool, str | None]:
        """(whether openpyxl sees a value in the cell, its cell text)."""
        if kind == "inlineStr":  # openpyxl reads <is> only, never <v>
            return (False, None) if inline is None else (True, format_text(inline))
        if not raw:
            return False, None
        if kind is None or kind == "n":
            style = self.date_style(s)
            if style is not None:
                return True, self.serial(raw, style)
            return True, number_text(raw)
        if kind == "s":
            return True, self.strings[int(raw)]
        if kind == "b":
            return True, boolean_text(raw)
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            try:
                return True, cell_text(from_ISO8601(raw))
            except (ValueError, TypeError, OverflowError):  # not an ISO date after all
                return True, format_text(raw)
        return True, format_text(raw)  # "str", "e" (#DIV/0!) and unknown kinds: as stored


# a row as the header search keeps it: 1-based column, value seen, cell text
GenericCell = tuple[int, bool, str | None]
