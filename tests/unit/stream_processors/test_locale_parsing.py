"""Every parse rule of every locale: what the vectorised path reads, the per-value parser
reads alike (one value at a time, as the slow path meets it), and what neither reads is an
error that names the locale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset
from schemas.locales import LOCALES, NBSP, NNBSP, resolve_locale
from stream_processors import converters as conv
from stream_processors.text_rules import rules_for
from stream_processors.validation import ValidationResult, validate_batch


def _dataset(column: dict[str, Any]) -> Dataset:
    return Dataset.model_validate({"name": "t", "columns": [{"name": "v", **column}]})


def run(
    column: dict[str, Any], values: list[Any], locale: str | None, kind: pa.DataType | None = None
) -> ValidationResult:
    rows = pa.array(range(2, 2 + len(values)), pa.int64())
    array = pa.array(values, kind or pa.string())
    batch = pa.RecordBatch.from_arrays([array, rows], ["v", ROW_COLUMN])
    return validate_batch(batch, _dataset(column), locale)


def read(column: dict[str, Any], values: list[str], locale: str | None) -> list[Any]:
    """The values as the column reads them under ``locale``, checked to agree with the
    per-value parser (which reads the values the vectorised path leaves)."""
    result = run(column, values, locale)
    assert result.errors == [], result.errors
    vectorised = result.valid.column("v").to_pylist()
    col = _dataset(column).columns[0]
    rules = rules_for(col, resolve_locale(locale) if locale else None)
    parse = {
        "integer": lambda t: conv.parse_integer(t, rules),
        "decimal": lambda t: conv.parse_decimal(t, col.scale or 2, 36, rules),
        "float": lambda t: conv.parse_float(t, rules),
        "boolean": lambda t: conv.parse_boolean(t, rules),
        "date": lambda t: conv.parse_date(t, False, rules),
        "datetime": lambda t: conv.parse_datetime(t, False, rules),
    }[col.type]
    assert [parse(v.strip()) for v in values] == vectorised
    return vectorised


def errors(column: dict[str, Any], values: list[str], locale: str | None) -> list[str]:
    return [e.message for e in run(column, values, locale).errors]


DECIMAL = {"type": "decimal", "scale": 2}
DATETIME = {"type": "datetime"}


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "written"),
    [
        ("de-DE", ["1.234,56", "1234,56", "-0,5", "7", "1.234.567,00"]),
        ("es-ES", ["1.234,56", "1234,56", "-0,5", "7", "1.234.567,00"]),
        ("pt-BR", ["1.234,56", "1234,56", "-0,5", "7", "1.234.567,00"]),
        ("fr-FR", ["1 234,56", f"1{NBSP}234,56", "-0,5", "7", f"1{NNBSP}234{NNBSP}567,00"]),
        ("pl-PL", ["1 234,56", f"1{NBSP}234,56", "-0,5", "7", "1 234 567,00"]),
        ("de-CH", ["1'234.56", "1\u2019234.56", "-0.5", "7", "1'234'567.00"]),
        ("en-US", ["1,234.56", "1234.56", "-0.5", "7", "1,234,567.00"]),
        ("de-AT", ["1.234,56", "1 234,56", "-0,5", "7", "1.234.567,00"]),
    ],
)
def test_numbers_as_each_locale_writes_them(locale: str, written: list[str]) -> None:
    want = [Decimal(v) for v in ("1234.56", "1234.56", "-0.50", "7.00", "1234567.00")]
    assert read(DECIMAL, written, locale) == want


def test_dates_with_spaced_dots_and_a_closing_dot_as_hu_sk_hr_write_them() -> None:
    want = [D(2024, 12, 31, 13, 45, tzinfo=UTC)] * 3
    hungarian = ["2024. 12. 31. 13:45", "2024.12.31. 13:45", "2024. 12. 31 13:45"]
    assert read(DATETIME, hungarian, "hu-HU") == want
    assert (
        read({"type": "date"}, ["2024. 12. 31.", "2024.12.31"], "hu-HU") == [date(2024, 12, 31)] * 2
    )
    assert read(DATETIME, ["31. 12. 2024 13:45", "31.12.2024 13:45"], "sk-SK") == want[:2]
    assert read(DATETIME, ["31.12.2024. 13:45", "31. 12. 2024. 13:45"], "hr-HR") == want[:2]
    assert read(DECIMAL, ["1 234,56"], "hu-HU") == [Decimal("1234.56")]
    assert read({"type": "boolean"}, ["IGAZ", "HAMIS"], "hu-HU") == [True, False]
    assert read({"type": "boolean"}, ["TOČNO", "NETOČNO"], "hr-HR") == [True, False]


def test_bulgarian_dates_with_the_year_mark_numbers_and_words() -> None:
    want = [D(2024, 12, 31, 13, 45, tzinfo=UTC)] * 3
    written = ["31.12.2024 г. 13:45", "31.12.2024 13:45", "31.12.2024 г. 13:45:00"]
    assert read(DATETIME, written, "bg-BG") == want
    assert read({"type": "date"}, ["31.12.2024 г.", "1.2.2024 г."], "bg-BG") == [
        date(2024, 12, 31),
        date(2024, 2, 1),
    ]
    assert read(DECIMAL, ["1 234,56", f"12{NBSP}345,5"], "bg-BG") == [
        Decimal("1234.56"),
        Decimal("12345.50"),
    ]
    assert read({"type": "boolean"}, ["ИСТИНА", "НЕИСТИНА", "да", "не"], "bg-BG") == [
        *(True, False, True, False)
    ]


def test_the_locales_of_south_africa_canada_serbia_slovenia_and_the_baltics() -> None:
    want = [D(2024, 12, 31, 13, 45, tzinfo=UTC)] * 2
    assert read(DATETIME, ["2024/12/31 13:45", "2024-12-31 13:45"], "en-ZA") == want
    assert read(DECIMAL, [f"1{NBSP}234,56", "1 234,56"], "en-ZA") == [Decimal("1234.56")] * 2
    assert read(DECIMAL, [f"1{NBSP}234,56"], "fr-CA") == [Decimal("1234.56")]
    assert read(DECIMAL, ["1,234.56"], "en-CA") == [Decimal("1234.56")]
    assert read(DATETIME, ["31.12.2024. 13:45", "31.12.2024 13:45"], "sr-RS") == want
    words = ["TAČNO", "NETAČNO", "ТАЧНО", "НЕТАЧНО", "da", "ne"]
    assert read({"type": "boolean"}, words, "sr-RS") == [True, False] * 3
    assert read(DATETIME, ["31. 12. 2024 13:45", "31.12.2024 13:45"], "sl-SI") == want
    assert read(DECIMAL, ["1.234,56"], "sl-SI") == [Decimal("1234.56")]
    assert read(DATETIME, ["31.12.2024. 13:45", "31.12.2024 13:45"], "lv-LV") == want
    assert read({"type": "boolean"}, ["Jā", "Nē"], "lv-LV") == [True, False]
    assert read(DECIMAL, ["1 234,56"], "lt-LT") == [Decimal("1234.56")]
    assert read(DATETIME, ["31.12.2024 13:45"], "et-EE") == want[:1]
    # Canada's dates are year first: a day-first one is an error naming the locale
    assert "en-CA" in run(DATETIME, ["31/12/2024 13:45"], "en-CA").errors[0].message


def test_indian_grouping_in_lakhs_and_crores_in_en_in() -> None:
    written = ["12,34,567.89", "1,23,456", "1,234,567.5", "-5,00,000", "999"]
    want = ["1234567.89", "123456.00", "1234567.50", "-500000.00", "999.00"]
    assert read(DECIMAL, written, "en-IN") == [Decimal(v) for v in want]
    assert read({"type": "integer"}, ["1,00,00,000", "12,345"], "en-IN") == [10_000_000, 12_345]
    amounts = read(DECIMAL, ["₹12,34,567.89", "Rs. 1,234.50", "INR 5,00,000"], "en-IN")
    assert amounts == [Decimal("1234567.89"), Decimal("1234.50"), Decimal("500000.00")]
    assert all(errors(DECIMAL, ["1,23,45", "123,45,678", "1,2,345"], "en-IN"))
    # other locales group by thousands only
    assert errors(DECIMAL, ["12,34,567.89"], "en-US")[0].startswith("'12,34,567.89' is not")


def test_integers_and_floats_take_the_grouping_too() -> None:
    assert read({"type": "integer"}, ["1.500", "42", "-3", "1.234.567"], "de-DE") == [
        1500,
        42,
        -3,
        1234567,
    ]
    assert read({"type": "float"}, ["1.234,5", "0,25", "3"], "de-DE") == [1234.5, 0.25, 3.0]
    assert read({"type": "float"}, ["1 234,5"], "fr-FR") == [1234.5]


def test_a_number_written_the_other_way_is_an_error_naming_the_locale() -> None:
    assert errors(DECIMAL, ["3.01", "1,234.56", "12,345"], "de-DE") == [
        "'3.01' is not a decimal number as de-DE writes numbers (like 1.234,56)",
        "'1,234.56' is not a decimal number as de-DE writes numbers (like 1.234,56)",
        "'12,345' has more than 2 decimal places",
    ]
    assert errors(DECIMAL, ["3,01"], "en-US") == [
        "'3,01' is not a decimal number as en-US writes numbers (like 1,234.56)"
    ]
    assert errors({"type": "integer"}, ["1.5"], "fr-FR") == [
        "'1.5' is not an integer as fr-FR writes numbers (like 1 234,56)"
    ]


@pytest.mark.parametrize(
    ("locale", "written", "want"),
    [
        (
            None,
            ["$1,234.50", "($2.50)", "-$3", "USD 12.50", " $ 7.00 "],
            ["1234.50", "-2.50", "-3.00", "12.50", "7.00"],
        ),
        ("en-US", ["$1,234.50", "$0.99", "(1,234.50)"], ["1234.50", "0.99", "-1234.50"]),
        (
            "de-DE",
            ["1.234,50 €", "-2,50 €", "EUR 3,00", "1.234,50 €-"],
            ["1234.50", "-2.50", "3.00", "-1234.50"],
        ),
        ("fr-FR", [f"1{NNBSP}234,50{NBSP}€", "5 €"], ["1234.50", "5.00"]),
        ("de-CH", ["CHF 1'234.50", "Fr. 12.00"], ["1234.50", "12.00"]),
    ],
)
def test_amounts_with_their_currency_as_a_spreadsheet_saves_them(
    locale: str | None, written: list[str], want: list[str]
) -> None:
    # Excel's "Save as CSV" writes a currency cell as shown: '$1,234.50', '1.234,50 €'
    assert read(DECIMAL, written, locale) == [Decimal(w) for w in want]
    assert read({"type": "float"}, written, locale) == [float(w) for w in want]


def test_negatives_as_office_suites_and_sap_write_them() -> None:
    minus = "\u2212"  # the typographic minus sign
    assert read(DECIMAL, [f"{minus}1 234,50", "1 234,50-", f"{minus}0,5"], "sv-SE") == [
        Decimal("-1234.50"),
        Decimal("-1234.50"),
        Decimal("-0.50"),
    ]
    assert read({"type": "integer"}, [f"{minus}5"], "fi-FI") == [-5]
    assert read({"type": "float"}, ["1.234,5-"], "de-DE") == [-1234.5]


def test_percentages_are_the_fraction_a_spreadsheet_holds() -> None:
    # a cell showing 15% holds 0.15, which its XLSX gives and its CSV ("15%") now reads too
    assert read({"type": "decimal", "scale": 4}, ["15%", "-5 %", "100%", "0.5%"], None) == [
        Decimal("0.1500"),
        Decimal("-0.0500"),
        Decimal("1.0000"),
        Decimal("0.0050"),
    ]
    assert read({"type": "float"}, ["12,5 %", "1.250%"], "de-DE") == [0.125, 12.5]
    assert errors(DECIMAL, ["15.25%", "%5", "15%%"], None) == [
        "'15.25%' (0.1525) has more than 2 decimal places",
        "'%5' is not a decimal number",
        "'15%%' is not a decimal number",
    ]
    assert errors({"type": "integer"}, ["15%"], None) == ["'15%' is not an integer"]


def test_amounts_in_two_currencies_are_errors_and_integers_take_none() -> None:
    assert errors(DECIMAL, ["$5.00", "€5.00", "7.25", "$1,234.50"], None) == [
        "'€5.00' is in EUR, where other rows of this column are in $: give the column's "
        "amounts in one currency",
    ]
    assert errors({"type": "integer"}, ["$5"], None) == ["'$5' is not an integer"]
    # an amount the locale does not write is the locale's error, with the currency shown
    assert errors(DECIMAL, ["$1.234,50"], "en-US") == [
        "'$1.234,50' is not a decimal number as en-US writes numbers (like 1,234.56)"
    ]
    assert errors(DECIMAL, ["2,50 €"], None) == [
        "'2,50 €' is not a decimal number (a decimal comma? choose the upload's locale, e.g. de-DE)"
    ]


def test_mixed_grouping_and_short_groups_are_errors() -> None:
    assert len(errors(DECIMAL, ["1.234 567,00", "1.23,00", "12.34"], "de-AT")) == 3


# --- dates --------------------------------------------------------------------------------

D = datetime


@pytest.mark.parametrize("locale", [None, "de-DE", "en-US"])
def test_iso_date_times_with_a_one_digit_hour(locale: str | None) -> None:
    # LibreOffice and Excel save a cell formatted yyyy-mm-dd h:mm:ss (openpyxl's default
    # for a datetime) to CSV as shown: every such row was "not a date-time"
    written = ["2026-01-01 9:30:00", "2026-01-02T7:05", "2026-01-06 0:00:00"]
    assert read(DATETIME, written, locale) == [
        D(2026, 1, 1, 9, 30, tzinfo=UTC),
        D(2026, 1, 2, 7, 5, tzinfo=UTC),
        D(2026, 1, 6, tzinfo=UTC),
    ]
    assert read({"type": "date"}, ["2026-01-06 0:00:00"], locale) == [date(2026, 1, 6)]
    assert errors(DATETIME, ["2026-01-01 9:3"], locale)[0].startswith("'2026-01-01 9:3' is not")


@pytest.mark.parametrize(
    ("locale", "written"),
    [
        ("de-DE", ["02.07.2024 09:30", "2.7.2024 9:30", "02/07/2024 09:30", "02-07-2024 09:30"]),
        ("en-GB", ["02/07/2024 09:30", "2/7/2024 09:30:00", "02.07.2024 9:30", "2-7-2024 09:30"]),
        ("en-US", ["07/02/2024 09:30", "7/2/2024 9:30", "7/2/2024 9:30 AM", "7-2-2024 09:30"]),
        ("ja-JP", ["2024/07/02 09:30", "2024/7/2 9:30", "2024.07.02 09:30", "2024-07-02 09:30"]),
    ],
)
def test_date_times_in_each_date_order(locale: str, written: list[str]) -> None:
    assert read(DATETIME, written, locale) == [D(2024, 7, 2, 9, 30, tzinfo=UTC)] * 4


def test_every_locale_still_reads_iso_and_dates_are_utc() -> None:
    for tag in LOCALES:
        got = read(DATETIME, ["2024-07-02T09:30:00Z", "2024-07-02T11:30:00+02:00"], tag)
        assert got == [D(2024, 7, 2, 9, 30, tzinfo=UTC)] * 2, tag


def test_twelve_hour_clock_and_seconds() -> None:
    got = read(DATETIME, ["7/2/2024 12:05 AM", "7/2/2024 12:05 pm", "7/2/2024 1:02:03 PM"], "en-US")
    assert [(d.hour, d.minute, d.second) for d in got] == [(0, 5, 0), (12, 5, 0), (13, 2, 3)]


def test_date_columns_by_locale() -> None:
    assert (
        read({"type": "date"}, ["13.01.2024", "2024-01-13", "13.01.2024 00:00"], "de-DE")
        == [date(2024, 1, 13)] * 3
    )
    assert errors({"type": "date"}, ["13.01.2024 10:00"], "de-DE") == [
        "'13.01.2024 10:00' has a time of day: use DD.MM.YYYY or DD/MM/YYYY or DD-MM-YYYY "
        "or YYYY-MM-DD"
    ]


def test_impossible_days_are_errors_not_the_next_month() -> None:
    # strptime rolls 31.04. over into 01.05.: the vectorised path must not keep that
    values = ["31.04.2024 10:00", "29.02.2023 10:00", "30.02.2024 10:00", "01.05.2024 10:00"]
    result = run(DATETIME, values, "de-DE")
    assert [e.message for e in result.errors] == [
        f"'{v}' is not a valid date-time" for v in values[:3]
    ]
    assert result.valid.column("v").to_pylist() == [D(2024, 5, 1, 10, 0, tzinfo=UTC)]
    us = run(DATETIME, ["2/30/2024 10:00", "4/31/2024 10:00", "3/1/2024 10:00"], "en-US")
    assert len(us.errors) == 2 and us.valid.num_rows == 1


def test_dates_the_locale_does_not_write_are_errors_that_say_how() -> None:
    assert errors(DATETIME, ["07/13/2024 10:00", "02.07.24 10:00"], "de-DE") == [
        "'07/13/2024 10:00' is not a valid date-time",
        "'02.07.24 10:00' is not a date-time: write the year with four digits",
    ]
    assert errors(DATETIME, ["13/07/2024 10:00", "soon"], "en-US") == [
        "'13/07/2024 10:00' is not a valid date-time",
        "'soon' is not a date-time: use MM/DD/YYYY or MM-DD-YYYY or MM.DD.YYYY or YYYY-MM-DD "
        "(as en-US writes dates)",
    ]
    assert errors(DATETIME, ["02/07/2024 10:00"], "ja-JP") == [
        "'02/07/2024 10:00' is not a date-time: use YYYY/MM/DD or YYYY-MM-DD or YYYY.MM.DD or "
        "YYYY-MM-DD (as ja-JP writes dates)"
    ]


def test_without_a_locale_local_dates_point_at_the_locale_field() -> None:
    [message] = errors(DATETIME, ["02.07.2024 09:30"], None)
    assert message.startswith("'02.07.2024 09:30' is ambiguous: use YYYY-MM-DD HH:MM")
    assert message.endswith(
        "or choose the upload's locale (day-first: en-GB, de-DE; month-first: en-US)"
    )


# --- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "yes", "no"),
    [
        ("de-DE", ["ja", "JA", "wahr", "WAHR"], ["nein", "Nein", "falsch", "FALSCH"]),
        ("fr-FR", ["oui", "VRAI"], ["non", "FAUX"]),
        ("pt-BR", ["sim", "VERDADEIRO"], ["não", "NÃO", "nao", "FALSO"]),
        ("es-ES", ["sí", "si", "VERDADERO"], ["no", "FALSO"]),
        ("it-IT", ["sì", "si", "VERO"], ["no", "FALSO"]),
        ("nl-NL", ["ja", "WAAR"], ["nee", "ONWAAR"]),
        ("pl-PL", ["tak", "PRAWDA"], ["nie", "FAŁSZ"]),
        ("tr-TR", ["evet", "DOĞRU"], ["hayır", "HAYIR", "YANLIŞ"]),
        ("en-GB", ["yes", "TRUE"], ["no", "FALSE"]),
        ("el-GR", ["ναι", "ΑΛΗΘΕΣ"], ["όχι", "ΌΧΙ", "ΨΕΥΔΕΣ"]),
        ("uk-UA", ["так", "ІСТИНА"], ["ні", "ХИБНІСТЬ"]),
        ("ro-RO", ["da", "ADEVĂRAT"], ["nu", "FALS"]),
    ],
)
def test_words_for_true_and_false(locale: str, yes: list[str], no: list[str]) -> None:
    assert read({"type": "boolean"}, [*yes, *no], locale) == [True] * len(yes) + [False] * len(no)


def test_a_word_of_another_language_is_an_error_with_the_locale_words() -> None:
    assert errors({"type": "boolean"}, ["oui"], "de-DE") == [
        "'oui' is not a boolean (use ja/nein, true/false, yes/no or 1/0)"
    ]
    assert errors({"type": "boolean"}, ["ja"], None) == [
        "'ja' is not a boolean (use true/false, yes/no or 1/0, or choose the upload's locale, "
        "e.g. de-DE)"
    ]


# --- the column's own formats and words ----------------------------------------------------


def test_a_column_with_formats_reads_them_in_any_locale() -> None:
    column = {"type": "datetime", "formats": ["DD/MM/YYYY HH:mm", "YYYYMMDD"]}
    for locale in (None, "en-US", "de-DE"):
        got = read(column, ["02/07/2024 09:30", "20240702", "2024-07-02T09:30:00"], locale)
        nine_thirty, midnight = D(2024, 7, 2, 9, 30, tzinfo=UTC), D(2024, 7, 2, tzinfo=UTC)
        assert got == [nine_thirty, midnight, nine_thirty]
    assert errors(column, ["07/13/2024 09:30"], "en-US") == [
        "'07/13/2024 09:30' is not a valid date-time"
    ]
    assert errors(column, ["2.7.24"], None) == [
        "'2.7.24' is not a date-time: write the year with four digits"
    ]
    assert errors(column, ["July 2nd"], None) == [
        "'July 2nd' is not a date-time: use DD/MM/YYYY or YYYYMMDD or YYYY-MM-DD "
        "(the column's formats)"
    ]


def test_true_values_and_false_values() -> None:
    column = {"type": "boolean", "true_values": ["X", "✓"], "false_values": ["-"]}
    assert read(column, ["x", "✓", "-", "true", "0"], None) == [True, True, False, True, False]
    assert read(column, ["ja", "X"], "de-DE") == [True, True]
    assert errors(column, ["maybe"], None) == [
        "'maybe' is not a boolean (use X/-, true/false, yes/no or 1/0)"
    ]


# --- typed cells ---------------------------------------------------------------------------


def test_typed_cells_mean_the_same_in_every_locale() -> None:
    numbers = pa.array([1234.5, 3.01, 2.0])
    for locale in (None, "de-DE", "fr-FR", "en-US"):
        result = run(DECIMAL, numbers.to_pylist(), locale, pa.float64())
        assert result.valid.column("v").to_pylist() == [
            Decimal("1234.50"),
            Decimal("3.01"),
            Decimal("2.00"),
        ]
    # ...and shown as the locale writes numbers (test_number_cells.py)
    bad = run({"type": "integer"}, [2.5], "de-DE", pa.float64())
    assert [e.message for e in bad.errors] == ["'2,5' is not an integer: expected a whole number"]


def test_an_unknown_chunk_locale_is_refused() -> None:
    from schemas.locales import LocaleError

    with pytest.raises(LocaleError, match="unsupported locale 'xx'"):
        run(DECIMAL, ["1"], "xx")


def test_enum_members_are_written_without_a_locale() -> None:
    column = {"type": "decimal", "scale": 2, "enum": ["1.50", "2.50"]}
    assert read(column, ["1,50", "2,50"], "de-DE") == [Decimal("1.50"), Decimal("2.50")]
    assert errors(column, ["3,50"], "de-DE") == ["must be one of: 1.50, 2.50"]


def test_a_long_column_of_several_forms_reads_each() -> None:
    # more values than the per-value parser takes alone: every form gets a vectorised pass
    forms = ["02.07.2024 09:30", "2/7/2024 9:30", "2024-07-02T09:30:00", "2-7-2024 09:30:00"]
    values = forms * 20 + ["31.04.2024 09:30"] * 20
    result = run(DATETIME, values, "de-DE")
    assert result.valid.column("v").to_pylist() == [D(2024, 7, 2, 9, 30, tzinfo=UTC)] * 80
    assert [e.message for e in result.errors] == [
        "'31.04.2024 09:30' is not a valid date-time"
    ] * 20


@pytest.mark.parametrize("tag", sorted(LOCALES))
def test_every_locale_reads_what_it_writes(tag: str) -> None:
    loc = LOCALES[tag]
    assert read(DECIMAL, [loc.example_number, "7"], tag) == [Decimal("1234.56"), Decimal("7.00")]
    fields = {"D": "31", "M": "12", "Y": "2024"}
    for sep in loc.date_seps:
        day = sep.join(fields[part] for part in loc.date_order)
        assert read(DATETIME, [f"{day} 13:45"], tag) == [D(2024, 12, 31, 13, 45, tzinfo=UTC)]
        assert read({"type": "date"}, [day], tag) == [date(2024, 12, 31)]
    words = [*loc.true_words, *(w.upper() for w in loc.true_words)]
    nots = [*loc.false_words, *(w.upper() for w in loc.false_words)]
    assert read({"type": "boolean"}, [*words, *nots], tag) == [True] * len(words) + [False] * len(
        nots
    )
