"""Dates every locale reads alike, as office suites show and save them: with a month name
('02-Jan-2026', 'Jan 2, 2026', '2. Januar 2026', '2 de enero de 2026'), or year first
('2026/01/02', '2026.1.2 9:30'), which was "ambiguous" without a locale and an error in the
day-first and month-first ones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stream_processors.unambiguous_dates import (
    MONTH_WORDS,
    TwoDigitYear,
    month_name_date,
    year_first_date,
)
from tests.unit.stream_processors.test_locale_parsing import errors, read

D = datetime


@pytest.mark.parametrize(
    ("text", "moment", "timed"),
    [
        ("02-Jan-2026", D(2026, 1, 2), False),  # Excel's dd-mmm-yyyy
        ("2 January 2026", D(2026, 1, 2), False),
        ("2. Jan. 2026", D(2026, 1, 2), False),
        ("Jan 2, 2026", D(2026, 1, 2), False),
        ("january 2 2026", D(2026, 1, 2), False),
        ("Sept 3rd, 2026", D(2026, 9, 3), False),
        ("December 31, 2026 11:59 PM", D(2026, 12, 31, 23, 59), True),
        ("02-Jan-2026 14:05:09", D(2026, 1, 2, 14, 5, 9), True),
        ("2-Jan-2026 12:00 am", D(2026, 1, 2, 0, 0), True),
    ],
)
def test_month_name_dates(text: str, moment: datetime, timed: bool) -> None:
    assert month_name_date(text) == (moment, timed)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2. Januar 2026", D(2026, 1, 2)),  # German Excel's TT. MMMM JJJJ
        ("3. MÄRZ 2026 14:05", D(2026, 3, 3, 14, 5)),
        ("02-Mär-2026", D(2026, 3, 2)),
        ("2 févr. 2026", D(2026, 2, 2)),
        ("1 aout 2026", D(2026, 8, 1)),
        ("2 de enero de 2026", D(2026, 1, 2)),
        ("7 set 2026", D(2026, 9, 7)),  # Italian and Portuguese September
        ("2 outubro 2026", D(2026, 10, 2)),
        ("2 mrt 2026", D(2026, 3, 2)),
        ("2 maj 2026", D(2026, 5, 2)),
    ],
)
def test_month_names_of_other_languages(text: str, moment: datetime) -> None:
    assert month_name_date(text) == (moment, moment.hour != 0)


def test_no_word_names_two_months() -> None:
    months: dict[str, set[int]] = {}
    for words in MONTH_WORDS:
        assert len(words.split()) == 12, words
        for month, word in enumerate(words.split(), 1):
            months.setdefault(word, set()).add(month)
    assert {w: m for w, m in months.items() if len(m) > 1} == {}


@pytest.mark.parametrize("text", ["2026-01-02", "02/01/2026", "Foo 2, 2026", "2 Jan", "Jan 2026"])
def test_other_text_is_not_one(text: str) -> None:
    assert month_name_date(text) is None


def test_impossible_days_and_two_digit_years_are_refused() -> None:
    for text in ("31-Feb-2026", "02-Jan-2026 13:05 PM", "Jan 2, 2026 25:00"):
        with pytest.raises(ValueError):
            month_name_date(text)
    with pytest.raises(TwoDigitYear):
        month_name_date("2-Jan-26")


@pytest.mark.parametrize("locale", [None, "de-DE", "en-US", "ja-JP"])
def test_columns_read_them_in_every_locale(locale: str | None) -> None:
    written = ["02-Jan-2026 14:05", "Jan 3, 2026", "4 March 2026"]
    assert read({"type": "datetime"}, written, locale) == [
        D(2026, 1, 2, 14, 5, tzinfo=UTC),
        D(2026, 1, 3, tzinfo=UTC),
        D(2026, 3, 4, tzinfo=UTC),
    ]
    assert read({"type": "date"}, ["02-Jan-2026", "Jan 3, 2026"], locale) == [
        date(2026, 1, 2),
        date(2026, 1, 3),
    ]
    assert errors({"type": "date"}, ["2-Jan-26", "31-Apr-2026"], locale) == [
        "'2-Jan-26': write the year with four digits",
        "'31-Apr-2026' is not a valid date",
    ]


def test_year_first_dates() -> None:
    assert year_first_date("2026/01/02") == (D(2026, 1, 2), False)
    assert year_first_date("2026.1.2 9:30") == (D(2026, 1, 2, 9, 30), True)
    assert year_first_date("2026-1-2T09:30:05") == (D(2026, 1, 2, 9, 30, 5), True)
    assert [year_first_date(t) for t in ("2026/01-02", "26/01/02", "2026/01/02Z")] == [None] * 3
    with pytest.raises(ValueError):
        year_first_date("2026/13/01")


@pytest.mark.parametrize("locale", [None, "de-DE", "en-US", "en-GB"])
def test_year_first_in_every_locale(locale: str | None) -> None:
    assert read({"type": "datetime"}, ["2026/01/13", "2026.1.2 9:30"], locale) == [
        D(2026, 1, 13, tzinfo=UTC),
        D(2026, 1, 2, 9, 30, tzinfo=UTC),
    ]
    assert read({"type": "date"}, ["2026/1/13"], locale) == [date(2026, 1, 13)]
