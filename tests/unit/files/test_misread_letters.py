"""How many characters of a reading no word is written with (files/misread_letters.py)."""

from __future__ import annotations

import pytest

from files.misread_letters import misreadings


@pytest.mark.parametrize(
    ("reading", "count"),
    [
        ("Bia³ystok wa¿ne", 2),  # Białystok, ważne read in Windows-1252: symbols inside words
        ("£ódŸ", 1),  # Łódź: a capital after a small letter ('£' at the word's start is not)
        ("\x8elu\x9dou\xe8k\xfd", 2),  # Žluťoučký in Latin-1: controls beside letters
        ("Biaіystok", 1),  # Białystok in Windows-1251: a Cyrillic letter in a Latin word
        ("StraЯe", 1),
        ("Białystok ważne Łódź", 0),
        ("Božiæ Pøíšerný Kneževiæ", 3),  # Božić, Příšerný, Knežević in Windows-1252
        ("Škoda crème Žižkov Ærø Søren", 0),  # each word one code page's letters
        ("m² m³ Brand™ £m °C 1¾ word¹", 0),  # symbols at a word's edge
        ("don’t col·lecció ¿Qué? ¡Hola! d´Artagnan a–b", 0),
        ("crème brûlée cœur Œuvre Ÿvelines São Nº 1ª", 0),
        ("Москва Αθήνα", 0),
        ("a,b\n\x81\x8d\n", 0),  # controls, but beside no letter
    ],
)
def test_misreadings(reading: str, count: int) -> None:
    assert misreadings(reading) == count


def test_counting_stops_at_at_most_and_a_long_western_text_has_none() -> None:
    assert misreadings("Bia³ystok wa¿ne £om¿a", at_most=1) == 1
    western = "Crème brûlée à la française, très élégante; Hôtel Noël. " * 1_000
    assert misreadings(western) == 0
    # a Cyrillic reading of it: every accented letter a word of two scripts
    assert misreadings(western.encode("cp1252").decode("cp1251"), at_most=3) == 3
