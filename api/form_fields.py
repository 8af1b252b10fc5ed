"""The upload form's reading fields, checked as the form arrives: a 422 names what is wrong
before anything is queued."""

from __future__ import annotations

import codecs

from api.http_errors import Unprocessable
from api.multipart import SpooledForm
from schemas.locales import LocaleError, resolve_locale


def chosen_locale(form: SpooledForm) -> str | None:
    """The ``locale`` field as a supported tag (None: detect it); 422 for an unknown one."""
    tag = form.fields.get("locale", "").strip()
    if not tag:
        return None
    try:
        return resolve_locale(tag).tag
    except LocaleError as exc:
        raise Unprocessable(str(exc)) from exc


def chosen_encoding(form: SpooledForm) -> str | None:
    """The ``encoding`` field as a Python codec name (None: tell it from the file); 422 for
    one Python does not know."""
    name = form.fields.get("encoding", "").strip()
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise Unprocessable(
            f"unknown text encoding {name!r}: give a name such as utf-8, windows-1252, "
            "windows-1250, windows-1251, shift_jis or mac_roman"
        ) from exc
