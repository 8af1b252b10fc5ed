"""Detection's tie-break by a language's own letters (producer/locale_letters.py)."""

from __future__ import annotations

import pytest

from producer.locale_detect import Detection, detect_locale
from schemas.locales import NBSP
from tests.unit.producer.test_locale_detect import ORDERS, sample

# amounts with a decimal comma and spaced thousands, ISO dates: fr-FR, pl-PL, cs-CZ, sk-SK,
# nb-NO, ... all read them alike
ALIKE = {"amount": [f"1{NBSP}234,56", "99,90"], "ordered_at": ["2024-12-31", "2024-11-05"]}


@pytest.mark.parametrize(
    ("notes", "locale"),
    [
        (["Łódź", "Gdańsk"], "pl-PL"),
        (["Doručení do Brna", "Řeka"], "cs-CZ"),
        (["Poľsko", "Žilina"], "sk-SK"),
        (["Bjørn", "Ærø"], "nb-NO"),
        (["Šiaulių gatvė", "Klaipėda"], "lt-LT"),
        (["Rīga, Brīvības iela", "Liepāja"], "lv-LV"),
        (["Café crème", "Hôtel"], "fr-FR"),
        (["Kraków", None], "fr-FR"),  # ó is no one language's: the first of the table
        ([None, None], "fr-FR"),
    ],
)
def test_the_letters_of_the_text_name_the_language(notes: list[str | None], locale: str) -> None:
    assert detect_locale(sample(**ALIKE, notes=notes), ORDERS) == Detection(locale)


def test_letters_never_overrule_the_values() -> None:
    # a US file of a Polish customer: 1,234.56 and month-first dates read in en-US only
    us = {"amount": ["1,234.56"], "ordered_at": ["12/31/2024"], "notes": ["Łódź"]}
    assert detect_locale(sample(**us), ORDERS) == Detection("en-US")
