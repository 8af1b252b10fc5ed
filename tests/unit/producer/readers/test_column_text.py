"""Cell text of whole typed columns (producer/readers/column_text.py)."""

from __future__ import annotations

import pyarrow as pa

from producer.readers.column_text import shows_fraction, string_text


def test_string_columns_normalise_calamine_spellings_of_every_length() -> None:
    values = [
        "true",
        "false",
        "2024-03-01 13:45:00",
        "2024-03-01 13:45:00.5",
        "2024-03-01 13:45:00.25",
        "2024-03-01 13:45:00.125",
        "2024-03-01 00:00:00",
        "2024-03-01T13:45:00Z",  # 20 bytes: never calamine's
        "truth",
        "  ",
        "",
        None,
    ]
    assert string_text(pa.array(values, pa.string())).to_pylist() == [
        "TRUE",
        "FALSE",
        "2024-03-01T13:45:00",
        "2024-03-01T13:45:00.500",
        "2024-03-01T13:45:00.250",
        "2024-03-01T13:45:00.125",
        "2024-03-01",
        "2024-03-01T13:45:00Z",
        "truth",
        None,
        None,
        None,
    ]


def test_shows_fraction_looks_only_at_the_cells_it_is_told_to() -> None:
    text = pa.array(["3.01", "12", None, "7"], pa.string())
    assert shows_fraction(text)
    assert shows_fraction(text, pa.array([True, False, None, False]))
    assert not shows_fraction(text, pa.array([False, True, True, None]))
    assert not shows_fraction(text, pa.array([False] * 4))
