"""Date and date-time forms such as ``DD.MM.YYYY HH:mm``: the dataset's ``formats:`` and the
forms each reading locale accepts.

A form is checked once (a dataset with a bad one does not load) and compiled twice: into an
Arrow ``strptime`` format for the worker's vectorised parse, and into a regular expression
with named parts for its per-value parse, which gives the messages. Both take the same text:
day, month and hour are one or two digits, the year four, and a space in a form stands for
any run of white space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FormKind = Literal["date", "datetime"]

# token: (strptime directive, regex of its digits or letters, the part it names)
TOKENS: dict[str, tuple[str, str, str]] = {
    "YYYY": ("%Y", r"\d{4}", "year"),
    "MM": ("%m", r"\d{1,2}", "month"),
    "M": ("%m", r"\d{1,2}", "month"),
    "DD": ("%d", r"\d{1,2}", "day"),
    "D": ("%d", r"\d{1,2}", "day"),
    "HH": ("%H", r"\d{1,2}", "hour"),
    "H": ("%H", r"\d{1,2}", "hour"),
    "hh": ("%I", r"\d{1,2}", "hour12"),
    "h": ("%I", r"\d{1,2}", "hour12"),
    "mm": ("%M", r"\d{1,2}", "minute"),
    "ss": ("%S", r"\d{1,2}", "second"),
    "A": ("%p", r"[AaPp][Mm]", "ampm"),
}
# letters that stand for themselves: the T of 2024-03-01T10:00, the г. (година, year) of
# 31.12.2024 г., as Bulgarian and Russian write a date
LITERAL_LETTERS = frozenset("Tг")
SUPPORTED = "YYYY, MM or M, DD or D, HH or H (0-23), hh or h with A (1-12 AM/PM), mm, ss"
# the day parts that strptime rolls over into the next month (31.04. is 01.05.)
LATE_DAYS = "(?:29|30|31)"


class FormError(ValueError):
    """A form that cannot be used; ``str()`` names what is wrong."""


@dataclass(frozen=True)
class DateForm:
    text: str  # as written: DD.MM.YYYY HH:mm
    strptime: str  # %d.%m.%Y %H:%M
    regex: re.Pattern[str]  # the whole value, with named parts
    late_day: str  # RE2: the value with a day of 29-31, where strptime may roll over
    has_time: bool


def _pieces(form: str) -> list[tuple[str, str]]:
    """(kind, text) runs: ("token", "DD"), ("literal", ".")."""
    pieces: list[tuple[str, str]] = []
    i = 0
    while i < len(form):
        ch = form[i]
        if not ch.isalpha():
            pieces.append(("literal", ch))
            i += 1
            continue
        end = i
        while end < len(form) and form[end] == ch:
            end += 1
        run = form[i:end]
        if run in TOKENS:
            pieces.append(("token", run))
        elif run in LITERAL_LETTERS:
            pieces.append(("literal", run))
        elif run.upper() == "YY":
            raise FormError(f"{form!r}: two-digit years (YY) are not supported; use YYYY")
        else:
            raise FormError(f"{form!r}: {run!r} is not a part of a date form (use {SUPPORTED})")
        i = end
    return pieces


def _check_parts(form: str, parts: list[str], kind: FormKind) -> None:
    twice = sorted({p for p in parts if parts.count(p) > 1})
    if twice:
        raise FormError(f"{form!r}: the {', '.join(twice)} appears more than once")
    missing = [p for p in ("year", "month", "day") if p not in parts]
    if missing:
        raise FormError(f"{form!r}: a date form needs the {', '.join(missing)}")
    clock = {"hour", "hour12", "minute", "second", "ampm"} & set(parts)
    if kind == "date" and clock:
        raise FormError(f"{form!r}: a date column's form has no time of day")
    if "hour" in parts and "hour12" in parts:
        raise FormError(f"{form!r}: use HH (0-23) or hh with A (1-12 AM/PM), not both")
    if ("hour12" in parts) != ("ampm" in parts):
        raise FormError(f"{form!r}: hh (1-12) and A (AM/PM) go together")
    if clock and not {"minute"} <= clock:
        raise FormError(f"{form!r}: a time of day needs the minutes (mm)")
    if "minute" in clock and not {"hour", "hour12"} & clock:
        raise FormError(f"{form!r}: minutes (mm) need the hour (HH or hh)")


def compile_form(form: str, kind: FormKind) -> DateForm:
    """The form, checked and compiled; raises FormError with a message for a person."""
    if not form.strip():
        raise FormError("a date form cannot be empty")
    pieces = _pieces(form)
    parts = [TOKENS[text][2] for what, text in pieces if what == "token"]
    _check_parts(form, parts, kind)
    directives, pattern, late = [], [], []
    for what, text in pieces:
        if what == "token":
            directive, digits, part = TOKENS[text]
            directives.append(directive)
            pattern.append(f"(?P<{part}>{digits})")
            late.append(LATE_DAYS if part == "day" else f"(?:{digits})")
        elif text.isspace():
            directives.append(" ")  # strptime: any run of white space, none included
            pattern.append(r"\s*")
            late.append(r"\s*")
        else:
            directives.append(text.replace("%", "%%"))
            pattern.append(re.escape(text))
            late.append(re.escape(text))
    has_time = "minute" in parts
    return DateForm(
        form, "".join(directives), re.compile("".join(pattern)), f"^{''.join(late)}$", has_time
    )


def check_forms(forms: tuple[str, ...], kind: FormKind) -> tuple[str, ...]:
    """The dataset's ``formats:``, each compiled once so a bad one stops the load."""
    for form in forms:
        compile_form(form, kind)
    return forms
