"""Locale detection: each rule of docs/datasets.md, on samples and on files as office suites
write them (test_reading.py: how a job's reading is chosen)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from producer.locale_detect import FEW_LEFT, Detection, amount_numbers, detect_locale
from producer.readers import open_reader
from schemas.arrow_codec import number_cells_column
from schemas.dataset import Dataset, load_dataset_file
from schemas.locales import NBSP
from schemas.money import AMOUNT_NUMBER, AMOUNT_RE2, MINUS_SIGN
from schemas.settings import packaged_datasets_dir
from tests.conftest import REPO_ROOT

ORDERS = load_dataset_file(packaged_datasets_dir() / "orders.yaml")


def sample(**columns: list[str | None]) -> list[pa.RecordBatch]:
    """One batch per column: detection pools each column's cells over the batches."""
    return [
        pa.RecordBatch.from_arrays([pa.array(values, pa.string())], [name])
        for name, values in columns.items()
    ]


def detect(**columns: list[str | None]) -> Detection:
    return detect_locale(sample(**columns), ORDERS)


def test_a_file_the_reading_without_a_locale_reads_needs_none() -> None:
    assert detect(
        ordered_at=["2024-07-02T09:30:00Z", "2024-07-13 10:00"],
        amount=["3.01", "1,234.56", "12"],
        express=["TRUE", "no", None],
    ) == Detection(None)
    assert detect() == Detection(None)  # nothing to go by


def test_amounts_with_a_currency_are_evidence_like_bare_numbers() -> None:
    iso = ["2024-07-02", "2024-07-13"]
    assert detect(ordered_at=iso, amount=["1.234,50 €", "2,50 €"]) == Detection("de-DE")
    assert detect(ordered_at=iso, amount=["$1,234.50", "($2.50)"]) == Detection(None)
    assert detect(ordered_at=iso, amount=[f"1{NBSP}234,50{NBSP}€"]) == Detection("fr-FR")
    assert detect(ordered_at=iso, amount=["12,5 %", "15 %"]) == Detection("de-DE")
    assert detect(ordered_at=iso, amount=["\u22121.234,50", "3,10-"]) == Detection("de-DE")


# each alone: a batch of bare numbers skips the amount pattern, and must read as it would
AMOUNT_CASES = [
    *("5-", "5.00-", "1.234,50\u2212", "-5", "+5", "1 234,50", "1'234.50", "12", "3,01"),
    *("(5)", "5%", "12,5 %", "$5", "-€5", "5 EUR", "kr 5", "5kr.", "(£5.00)", f"1{NBSP}234 €"),
    *("many", "€", "EUR", "-", "", None),
]


@pytest.mark.parametrize("value", AMOUNT_CASES)
def test_amount_numbers_reads_each_value_as_the_amount_pattern_does(value: str | None) -> None:
    values = pa.array([value], pa.string())
    minus = pc.replace_substring(values, MINUS_SIGN, "-")
    assert amount_numbers(values) == pc.replace_substring_regex(minus, AMOUNT_RE2, AMOUNT_NUMBER)


def test_amount_numbers_leaves_bare_numbers_without_compiling_the_amount_pattern(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patterns: list[str] = []
    replace = pc.replace_substring_regex

    def counted(values: pa.Array, pattern: str, replacement: str) -> pa.Array:
        patterns.append(pattern)
        return replace(values, pattern, replacement)

    monkeypatch.setattr(pc, "replace_substring_regex", counted)
    bare = pa.array(["-5.00", "12", "1,234.50", "many", None], pa.string())
    assert amount_numbers(bare) == bare
    assert patterns == []
    assert amount_numbers(pa.array(["$5", "7"])).to_pylist() == ["5", "7"]
    assert patterns == [AMOUNT_RE2]


def test_one_value_only_a_locale_reads_decides_among_thousands_of_plain_ones() -> None:
    # the plain values (decimal point, ISO dates) are set aside before the rules run: what
    # is left must still decide as the whole sample does
    plain = [f"{i}.{i % 100:02d}" for i in range(3000)]
    iso = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T09:30:00Z" for i in range(3000)]
    assert detect(ordered_at=iso, amount=[*plain, "many"]) == Detection(None)
    assert detect(ordered_at=[*iso, "TBD"], amount=plain) == Detection(None)
    assert detect(ordered_at=[*iso, "13.07.2024 09:30"], amount=plain) == Detection("en-GB")
    assert detect(ordered_at=iso, amount=["3,01"], express=["ja", "no"]) == Detection("de-DE")
    # not ISO dates: month 13 and day 00 are read by the rules, not set aside as plain
    assert detect(ordered_at=["2024-13-01", "2024-01-00"]) == Detection(None)
    assert detect(ordered_at=[*iso, "01/13/2024"], amount=plain) == Detection("en-US")


def test_cells_the_quick_tests_pass_over_still_decide() -> None:
    # digits with one point, ISO dates and lower-case plain words are set aside cell by
    # cell; signs, grouping, padding and capitals go through the rules
    plain = [f"{i}.{i % 100:02d}" for i in range(3000)]
    assert detect(amount=[*plain, "-5.00", "+3", "1,234.50", " 7 "]) == Detection(None)
    whole = [str(i) for i in range(3000)]  # read alike with a decimal point or comma
    assert detect(amount=[*whole, " 3,5 "]) == Detection("de-DE")
    assert detect(amount=[*whole, "1.234,5"], quantity=["12"]) == Detection("de-DE")
    assert detect(ordered_at=[" 2024-07-13", "2024-07-13 "]) == Detection(None)
    assert detect(express=["yes", "JA", "Nein"]) == Detection("de-DE")
    assert detect(express=["yes", "YES", " no "]) == Detection(None)
    # a cell without a digit is no number or date in any locale
    assert detect(amount=[*plain, "n/a", "—"], ordered_at=["TBD", "soon"]) == Detection(None)


def test_a_decimal_comma_with_day_first_dates_and_german_words() -> None:
    found = detect(ordered_at=["02.07.2024 09:30"], amount=["3,01", "1.234,56"], express=["ja"])
    assert found == Detection("de-DE")


def test_a_decimal_comma_alone_settles_day_first_too() -> None:
    # every supported locale with a decimal comma writes dates day first (or year first)
    assert detect(ordered_at=["01.02.2024 09:30"], amount=["3,01"]) == Detection("de-DE")


def test_the_grouping_tells_french_from_german() -> None:
    assert detect(amount=[f"1{NBSP}234,56", "3,01"]) == Detection("fr-FR")
    assert detect(amount=["1 234,56"], express=["oui"]) == Detection("fr-FR")


def test_indian_grouping_tells_en_in() -> None:
    found = detect(amount=["12,34,567.89", "5,00,000.00", "12.50"], ordered_at=["31/12/2024"])
    assert found == Detection("en-IN")


def test_the_words_tell_the_language() -> None:
    assert detect(amount=["3,01"], express=["sim", "não"]) == Detection("pt-BR")
    assert detect(amount=["3,01"], express=["tak", "nie"]) == Detection("pl-PL")
    assert detect(amount=["3,01"], express=["VRAI", "FAUX"]) == Detection("fr-FR")


def test_a_day_above_twelve_settles_the_date_order() -> None:
    assert detect(ordered_at=["13/01/2024 10:00", "01/02/2024 10:00"]) == Detection("en-GB")
    assert detect(ordered_at=["01/13/2024 10:00", "01/02/2024 10:00"]) == Detection("en-US")
    # year first is read alike by every locale: no evidence of one
    assert detect(ordered_at=["2024/01/13", "2024.2.3 10:00"]) == Detection(None)
    # with a decimal comma: the one such locale that writes its dates year first with '/'
    assert detect(ordered_at=["2024/01/13"], amount=["3,01"]) == Detection("en-ZA")
    assert detect(ordered_at=["2024-01-13"], amount=["3,01"]) == Detection("de-DE")


def test_dates_spaced_or_closed_by_a_mark_tell_the_locales_that_write_them() -> None:
    # read without a mark by day-first locales alike, these were fr-FR and de-DE before
    assert detect(ordered_at=["2024. 12. 31.", "2024. 02. 13. 13:45"]) == Detection("hu-HU")
    assert detect(ordered_at=["2024.12.31.", "2024.2.13. 13:45"]) == Detection("hu-HU")
    assert detect(ordered_at=["31. 12. 2024", "13. 2. 2024 13:45"]) == Detection("sk-SK")
    assert detect(ordered_at=["31.12.2024.", "13.02.2024. 13:45"]) == Detection("hr-HR")
    assert detect(ordered_at=["31.12.2024 г.", "1.02.2024 г. 13:45"]) == Detection("bg-BG")
    # a mark no locale writes, or another's, leaves no locale to read every date
    assert detect(ordered_at=["31.12.2024 г.", "31.12.2024."]).locale is None
    # without a mark they stay what they were: day-first, the number format decides
    assert detect(ordered_at=["31.12.2024"], amount=["1.234,56"]) == Detection("de-DE")
    assert detect(ordered_at=["31.12.2024"], amount=["1 234,56"]) == Detection("fr-FR")


def test_year_first_dates_written_with_slashes_tell_the_locales_that_write_them() -> None:
    # Excel in South Africa: spaced thousands, a decimal comma, year first with slashes;
    # every day-first locale reads 2024/12/31 too, and fr-FR was named
    south_africa = detect(ordered_at=["2024/12/31 13:45"], amount=[f"1{NBSP}234,56", "99,90"])
    assert south_africa == Detection("en-ZA")
    # ISO's dashes are everyone's: the table's order stands
    assert detect(ordered_at=["2024-12-31"], amount=[f"1{NBSP}234,56"]) == Detection("fr-FR")
    # the language's letters still come first
    polish = detect(ordered_at=["2024/12/31"], amount=["1 234,56"], notes=["Łódź"])
    assert polish == Detection("pl-PL")


def test_serbian_latvian_and_lithuanian_words_tell_their_locales() -> None:
    # Serbian Cyrillic words; dates closed by a dot, as Croatian writes them too
    serbian = detect(ordered_at=["31.12.2024."], amount=["1.234,56"], express=["ТАЧНО", "НЕТАЧНО"])
    assert serbian == Detection("sr-RS")
    assert detect(amount=["3,01"], express=["TAČNO", "NETAČNO"]) == Detection("sr-RS")
    assert detect(amount=["3,01"], express=["jā", "nē"]) == Detection("lv-LV")
    assert detect(amount=["3,01"], express=["taip", "ne"]) == Detection("lt-LT")
    assert detect(ordered_at=["2024-12-31"], amount=["1 234,56"], express=["VRAI"]) == Detection(
        "fr-FR"
    )  # French words and ISO dates: France, the earlier of two alike


def test_dates_that_read_both_ways_detect_nothing_and_say_so() -> None:
    found = detect(ordered_at=["01/02/2024 10:00", "05/06/2024 11:00"], amount=["3.01"])
    assert found.locale is None
    assert found.note == (
        "no locale detected: en-US and en-GB read 01/02/2024 10:00 differently; "
        "choose one with the locale field"
    )


def test_a_decimal_comma_and_a_decimal_point_in_one_file_detect_nothing() -> None:
    found = detect(amount=["3,01", "3.01"], ordered_at=["01/02/2024", "03/04/2024"])
    assert found.locale is None
    assert found.note is not None
    assert "numbers have a decimal comma (3,01) and a decimal point (3.01)" in found.note
    assert "dates like 01/02/2024 read differently day-first and month-first" in found.note


def test_day_first_and_month_first_in_one_file_detect_nothing() -> None:
    found = detect(ordered_at=["13/01/2024", "01/13/2024"])
    assert found.locale is None and found.note is not None
    assert "day-first (13/01/2024) and month-first (01/13/2024)" in found.note


def test_evidence_no_locale_combines_is_no_locale() -> None:
    found = detect(amount=["3,01"], ordered_at=["01/13/2024"])  # no decimal comma is month-first
    assert found.locale is None and found.note is not None
    assert "no supported locale reads all" in found.note


def test_typos_say_nothing() -> None:
    # values no locale reads are errors in any reading: they neither help nor spoil
    assert detect(amount=["3,01", "12a", "n/a"], express=["vielleicht", "ja"]).locale == "de-DE"


def test_typed_cells_and_columns_with_formats_say_nothing() -> None:
    # number cells (3.01 as a float) say nothing of a decimal comma or point
    batch = pa.RecordBatch.from_arrays(
        [pa.array([3.01, 1234.5]), pa.array(["13.01.2024", "01.02.2024"]), pa.array(["ja"] * 2)],
        ["amount", "ordered_at", "express"],
    )
    assert detect_locale([batch], ORDERS) == Detection("de-DE")
    with_formats = Dataset.model_validate(
        {
            "name": "t",
            "columns": [
                {"name": "amount", "type": "decimal"},
                {"name": "ordered_at", "type": "date", "formats": ["DD/MM/YYYY"]},
            ],
        }
    )
    assert detect_locale([batch], with_formats) == Detection(None)


def test_number_cells_among_text_say_nothing() -> None:
    # a sheet column of number cells (3.01, as shown without a locale) and German text
    amounts = pa.array(["1234.5", "3.01", "1.234,50", "3,01"])
    marks = pa.array([True, True, False, False])
    marked = pa.RecordBatch.from_arrays([amounts, marks], ["amount", number_cells_column("amount")])
    assert detect_locale([marked], ORDERS) == Detection("de-DE")
    unmarked = pa.RecordBatch.from_arrays([amounts], ["amount"])
    assert "a decimal comma (1.234,50) and a decimal point" in str(
        detect_locale([unmarked], ORDERS).note
    )


def test_cells_that_are_no_dates_at_all_leave_the_date_evidence_alone() -> None:
    # a regression: the parts of a value that is no date were read as numbers and failed
    found = detect(ordered_at=["-", "n/a", "2024-02-30", "13.01.2024", "45352"])
    assert found == Detection("en-GB")


@pytest.mark.parametrize("export", ["sep-line", "unicode-text"])
def test_excels_other_german_exports_detect_de_de(tmp_path: Path, export: str) -> None:
    """Excel's "sep=;" hint line above the table, and its "Unicode Text" (UTF-16, tabs)."""
    german = (REPO_ROOT / "tests/data/locales/de-DE_excel_semicolon.csv").read_bytes()
    text = german.decode("cp1252")
    path = tmp_path / "bestellungen.csv"
    if export == "sep-line":
        path.write_bytes(("sep=;\r\n" + text).encode("cp1252"))
    else:
        path.write_bytes(text.replace(";", "\t").encode("utf-16"))  # with its byte-order mark
    reader = open_reader(path, ORDERS, 1000)
    try:
        batches = list(reader.batches())
    finally:
        reader.close()
    assert sum(b.num_rows for b in batches) == 100
    assert detect_locale(batches, ORDERS) == Detection("de-DE")


def test_a_sample_with_many_values_left_decides_as_one_with_few() -> None:
    # past FEW_LEFT distinct values left, rule 1 is decided on the whole sample
    assert detect(amount=[f"A-{i}" for i in range(2 * FEW_LEFT)]) == Detection(None)
    german = [f"{i},{i % 100:02d}" for i in range(2 * FEW_LEFT)]
    assert detect(amount=german) == Detection("de-DE")
    mixed = detect(amount=[*german, "1,234.5"])
    assert mixed.locale is None and mixed.note is not None and "decimal comma" in mixed.note
