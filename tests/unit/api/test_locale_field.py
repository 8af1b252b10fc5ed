"""The upload form's locale and encoding fields: a supported tag (a codec Python knows) or a
422 naming what is wrong, and part of what makes two requests the same for an
Idempotency-Key."""

from __future__ import annotations

import pytest

from api.form_fields import chosen_encoding, chosen_locale
from api.http_errors import Unprocessable
from api.idempotency import fingerprint
from api.multipart import SpooledForm


def test_the_field_is_taken_as_a_supported_tag() -> None:
    assert chosen_locale(SpooledForm(fields={"locale": " de_de "})) == "de-DE"
    assert chosen_locale(SpooledForm(fields={"locale": "pt"})) == "pt-BR"
    assert chosen_locale(SpooledForm(fields={"locale": ""})) is None
    assert chosen_locale(SpooledForm()) is None


def test_an_unknown_tag_is_a_422_listing_the_supported_ones() -> None:
    with pytest.raises(Unprocessable, match=r"unsupported locale 'klingon'.*de-DE"):
        chosen_locale(SpooledForm(fields={"locale": "klingon"}))


def test_another_locale_is_another_request() -> None:
    plain = fingerprint("orders", None, "aa")
    assert plain == fingerprint("orders", None, "aa", None)  # keys bound before stay valid
    chosen = {fingerprint("orders", None, "aa", tag) for tag in ("de-DE", "en-US")}
    assert len({plain, *chosen}) == 3


def test_the_encoding_field_is_a_codec_python_knows() -> None:
    assert chosen_encoding(SpooledForm(fields={"encoding": " Windows-1251 "})) == "cp1251"
    assert chosen_encoding(SpooledForm(fields={"encoding": "Shift_JIS"})) == "shift_jis"
    assert chosen_encoding(SpooledForm(fields={"encoding": ""})) is None
    with pytest.raises(Unprocessable, match=r"unknown text encoding 'klingon': give a name"):
        chosen_encoding(SpooledForm(fields={"encoding": "klingon"}))
