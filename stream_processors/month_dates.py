"""Dates with an English month name, as spreadsheets show them and save them to CSV:
'02-Jan-2026' (Excel's d-mmm-yyyy), 'Jan 2, 2026', 'January 2, 2026 2:05 PM', '2 Jan 2026'.
A month name leaves no doubt which part is the day, so every reading locale takes them.
Pure; the per-value parsers (converters.py) call it for what their other forms leave.
"""

from __future__ import annotations

import re
from datetime import datetime

_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTHS = {name: n for n, name in enumerate(_NAMES, 1)} | {
    name[:3]: n for n, name in enumerate(_NAMES, 1)
}
MONTHS["sept"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:[ T,]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ap>[AaPp][Mm])?)?"
_YEAR = r"(?P<y>\d{4}|\d{2})"
_FORMS = (
    # 02-Jan-2026, 2 January 2026, 2.Jan.2026
    re.compile(rf"(?P<d>\d{{1,2}})[-/ .]+(?P<m>{_MONTH})\.?[-/ .,]+{_YEAR}{_TIME}", re.I),
    # Jan 2, 2026; January 2nd 2026
    re.compile(
        rf"(?P<m>{_MONTH})\.?[-/ ]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?[-/ ]+{_YEAR}{_TIME}", re.I
    ),
)


class TwoDigitYear(ValueError):
    """A month-name date whose year has two digits: which century is a guess."""


def month_name_date(text: str) -> tuple[datetime, bool] | None:
    """(naive datetime, whether a time was written) of a date with an English month name;
    None when ``text`` is not one. ValueError for a day or time that does not exist,
    TwoDigitYear for '2-Jan-26'."""
    for form in _FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        if len(match["y"]) == 2:
            raise TwoDigitYear(text)
        hour = int(match["h"] or 0)
        if match["ap"]:
            if not 1 <= hour <= 12:
                raise ValueError(text)
            hour = hour % 12 + (12 if match["ap"].lower() == "pm" else 0)
        moment = datetime(
            int(match["y"]),
            MONTHS[match["m"].lower()],
            int(match["d"]),
            hour,
            int(match["mi"] or 0),
            int(match["s"] or 0),
        )
        return moment, match["h"] is not None
    return None
