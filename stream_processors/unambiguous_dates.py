"""Dates every reading locale reads alike, as spreadsheets show them and save them to CSV:
with a month name ('02-Jan-2026' (Excel's d-mmm-yyyy), 'Jan 2, 2026', '2. Januar 2026',
'2 janvier 2026', '2 de enero de 2026'; the names and abbreviations of English, German,
French, Spanish, Italian, Portuguese, Dutch and the Scandinavian languages, no word naming
two months), or year first ('2026/01/02', '2026.1.2 9:30': no one writes year, day, month).
Pure; the per-value parsers (converters.py) call it for what their other forms leave.
"""

from __future__ import annotations

import re
from datetime import datetime

# month names and abbreviations, each line in month order
MONTH_WORDS = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "jan feb mär apr mai jun jul aug sep okt nov dez",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "janv févr mars avr mai juin juil août sept oct nov déc",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "ene feb mar abr may jun jul ago sep oct nov dic",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "gen feb mar apr mag giu lug ago set ott nov dic",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "jan fev mar abr mai jun jul ago set out nov dez",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "jan feb mrt apr mei jun jul aug sep okt nov dec",
    "januari februari mars april maj juni juli augusti september oktober november december",
    "januar februar marts april maj juni juli august september oktober november december",
    "januar februar mars april mai juni juli august september oktober november desember",
    # as typed without accents
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "janv fevr marz avr mai juin juil aout sept oct nov dec",
)
MONTHS = {word: n for words in MONTH_WORDS for n, word in enumerate(words.split(), 1)}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:[ T,]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ap>[AaPp][Mm])?)?"
_YEAR = r"(?P<y>\d{4}|\d{2})"
_FORMS = (
    # 02-Jan-2026, 2 January 2026, 2. Januar 2026, 2 de enero de 2026
    re.compile(
        rf"(?P<d>\d{{1,2}})\.?(?:[-/ ]+|\s+de\s+)(?P<m>{_MONTH})\.?(?:[-/ .,]+|\s+de\s+){_YEAR}{_TIME}",
        re.I,
    ),
    # Jan 2, 2026; January 2nd 2026
    re.compile(
        rf"(?P<m>{_MONTH})\.?[-/ ]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?[-/ ]+{_YEAR}{_TIME}", re.I
    ),
)


_YEAR_FIRST = re.compile(
    r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:[Tt ]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?"
)


class TwoDigitYear(ValueError):
    """A month-name date whose year has two digits: which century is a guess."""


def month_name_date(text: str) -> tuple[datetime, bool] | None:
    """(naive datetime, whether a time was written) of a date with a month name;
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
            MONTHS[match["m"].casefold()],
            int(match["d"]),
            hour,
            int(match["mi"] or 0),
            int(match["s"] or 0),
        )
        return moment, match["h"] is not None
    return None


def year_first_date(text: str) -> tuple[datetime, bool] | None:
    """(naive datetime, whether a time was written) of a date written year, month, day with
    one separator ('2026/01/02', '2026.1.2 09:30'); None when ``text`` is not one.
    ValueError for a day or time that does not exist."""
    match = _YEAR_FIRST.fullmatch(text)
    if match is None:
        return None
    moment = datetime(
        int(match["y"]),
        int(match["m"]),
        int(match["d"]),
        int(match["h"] or 0),
        int(match["mi"] or 0),
        int(match["s"] or 0),
    )
    return moment, match["h"] is not None
