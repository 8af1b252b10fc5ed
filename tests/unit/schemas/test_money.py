"""Amounts written with a currency, as spreadsheets save currency cells to CSV: the sign,
number and currency split off alike by Python's pattern and by Arrow's (RE2)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from schemas.locales import NBSP, NNBSP
from schemas.money import (
    AMOUNT_NUMBER,
    AMOUNT_RE2,
    mixed_currencies,
    split_money,
    split_percent,
)

READ = [
    ("$1,234.50", ("", "1,234.50", "$")),
    ("-$2.50", ("-", "2.50", "$")),
    ("$-2.50", ("-", "2.50", "$")),
    ("($2.50)", ("-", "2.50", "$")),
    (" $ 7.00 ", ("", "7.00", "$")),
    ("US$ 9.99", ("", "9.99", "USD")),
    ("1.234,50 €", ("", "1.234,50", "EUR")),
    ("-1.234,50 €", ("-", "1.234,50", "EUR")),
    ("1.234,50 €-", ("-", "1.234,50", "EUR")),
    (f"1{NNBSP}234,50{NBSP}€", ("", f"1{NNBSP}234,50", "EUR")),
    ("EUR 3,00", ("", "3,00", "EUR")),
    ("CHF 1'234.50", ("", "1'234.50", "CHF")),
    ("Fr. 12.00", ("", "12.00", "CHF")),
    ("£5", ("", "5", "GBP")),
    ("12 kr", ("", "12", "kr")),
    ("(1,234.50)", ("-", "1,234.50", "")),
    ("1.234,50-", ("-", "1.234,50", "")),  # SAP's negative
]
NOT_AMOUNTS = [
    "12.50",
    "(-5)",
    "5--",
    "$$5",
    "$ 5 €",
    "--$5",
    "-($5)",
    "$",
    "abc",
    "5 apples",
    "$5)",
]


@pytest.mark.parametrize(("text", "parts"), READ)
def test_an_amount_splits_into_sign_number_and_currency(
    text: str, parts: tuple[str, str, str]
) -> None:
    assert split_money(text) == parts


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_anything_else_is_not_an_amount(text: str) -> None:
    assert split_money(text) is None


def test_arrows_pattern_finds_the_same_numbers() -> None:
    # locale detection reads amounts through Arrow: the number it keeps is Python's
    texts = [text.strip() for text, _ in READ]
    numbers = pc.replace_substring_regex(pa.array(texts), AMOUNT_RE2, AMOUNT_NUMBER)
    assert numbers.to_pylist() == [parts[1] for _, parts in READ]
    unchanged = [t for t in NOT_AMOUNTS if t != "12.50"]  # a bare number stays as it is
    assert (
        pc.replace_substring_regex(pa.array(unchanged), AMOUNT_RE2, AMOUNT_NUMBER).to_pylist()
        == unchanged
    )


def test_a_percentage_splits_off_its_number() -> None:
    assert [split_percent(t) for t in ("15%", " -12,5 % ", "1 234%", "5", "%5", "$5%")] == [
        "15",
        "-12,5",
        "1 234",
        None,
        None,
        None,
    ]
    shown = pa.array(["15%", "12,5 %", "-3%"])
    assert pc.replace_substring_regex(shown, AMOUNT_RE2, AMOUNT_NUMBER).to_pylist() == [
        "15",
        "12,5",
        "3",
    ]


def test_one_currency_is_no_problem_however_written() -> None:
    assert mixed_currencies([(0, "€5"), (3, "5,00 EUR"), (4, "1.234,50 €")]) == []
    assert mixed_currencies([(0, "$5"), (1, "1,234.5")]) == []  # a grouped number has none
    # a symbol that names several currencies goes with each of them
    assert mixed_currencies([(0, "$5"), (1, "USD 5"), (2, "US$ 5")]) == []
    assert mixed_currencies([(0, "$5"), (1, "MXN 5")]) == []
    assert mixed_currencies([(0, "12 kr"), (1, "SEK 12")]) == []
    assert len(mixed_currencies([(0, "¥500"), (1, "€5")])) == 2
    assert len(mixed_currencies([(0, "$5"), (1, "USD 5"), (2, "CAD 5")])) == 3


def test_amounts_in_another_currency_than_most_are_each_an_error() -> None:
    found = mixed_currencies([(0, "$5.00"), (2, "€5.00"), (5, "1,234.5"), (7, "£1"), (8, "$2")])
    assert found == [
        (
            2,
            "'€5.00' is in EUR, where other rows of this column are in $, GBP: give the "
            "column's amounts in one currency",
        ),
        (
            7,
            "'£1' is in GBP, where other rows of this column are in $, EUR: give the "
            "column's amounts in one currency",
        ),
    ]
    # no currency has the most: every amount is an error
    assert [i for i, _ in mixed_currencies([(0, "$5"), (1, "€5")])] == [0, 1]
