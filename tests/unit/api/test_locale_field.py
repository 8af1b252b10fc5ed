"""The upload form's locale field: a supported tag or a 422 naming them, and part of what
makes two requests the same for an Idempotency-Key."""

from __future__ import annotations

import pytest

from api.accept_upload import chosen_locale
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
