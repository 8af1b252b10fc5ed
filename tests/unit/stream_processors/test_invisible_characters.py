"""Invisible characters that text pasted from web pages, e-mails and PDFs brings along (a
zero-width space, a direction mark, a byte-order mark): around a value they are trimmed like
white space, since the person never saw them; inside an e-mail address they are an error,
never stored."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from stream_processors.text_columns import INVISIBLE, trim
from tests.unit.stream_processors.test_validation import messages, ok_values

ZWSP, LRM, BOM = "\u200b", "\u200e", "\ufeff"


def test_around_a_value_they_are_trimmed_like_white_space() -> None:
    # before, '123\u200b' was "'123' is not an integer" as a person reads the message
    assert ok_values("integer", [f"123{ZWSP}", f"{BOM}42", f" {ZWSP} 7 {LRM} "]) == [123, 42, 7]
    assert ok_values("decimal", [f"1.5{LRM}", f"€ 5{ZWSP}"], scale=2) == [
        Decimal("1.50"),
        Decimal("5.00"),
    ]
    assert ok_values("email", [f"ann@example.com{ZWSP}"]) == ["ann@example.com"]
    assert ok_values("string", [f"Größe{ZWSP}", ZWSP, f"{BOM} "]) == ["Größe", None, None]


def test_inside_an_email_address_they_are_an_error() -> None:
    # the message shows what the eye cannot
    assert messages("email", [f"ann{ZWSP}@example.com", "ann\u00a0b@example.com"]) == [
        "'ann<U+200B>@example.com' is not a valid email address",
        "'ann\u00a0b@example.com' is not a valid email address",
    ]


def test_text_without_them_is_left_as_it_is() -> None:
    text = pa.array(["a b", "Größe", "ü", None])  # no byte from 0xE2 up: one pass
    assert trim(text).to_pylist() == ["a b", "Größe", "ü", None]
    assert all(len(c.encode()) == 3 and c.encode()[0] >= 0xE2 for c in INVISIBLE)
