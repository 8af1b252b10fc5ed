"""How one column's cell text is read: the number format, the date forms and the words for
true and false, from the upload's locale and the column's own ``formats``/``true_values``/
``false_values``. Pure; the per-value parsers (converters.py) and the vectorised ones
(text_columns.py) both take a ``TextRules``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from schemas.dataset import Column
from schemas.date_forms import DateForm, compile_form
from schemas.locales import (
    DEFAULT_NUMBERS,
    FALSE_WORDS,
    LOCALES,
    TRUE_WORDS,
    Locale,
    NumberFormat,
    fold_words,
)
from schemas.money import MINUS_SIGN, split_money, split_percent

LOCALE_FIELD = "choose the upload's locale"
# a date in a local form (01/03/2024, 2024/03/01): without a locale, "ambiguous"
AMBIGUOUS_DATE = re.compile(r"\d{1,4}[/.]\d{1,2}[/.]\d{1,4}(?:[ T].*)?")
TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?:[ T].*)?")


@dataclass(frozen=True)
class TextRules:
    locale: Locale | None = None
    numbers: NumberFormat = DEFAULT_NUMBERS
    forms: tuple[DateForm, ...] = ()  # besides ISO: the column's formats, else the locale's
    own_forms: bool = False  # the forms are the column's ``formats``
    true_words: frozenset[str] = TRUE_WORDS
    false_words: frozenset[str] = FALSE_WORDS
    word_hint: str = field(default="true/false, yes/no or 1/0")

    @property
    def local_numbers(self) -> bool:
        return self.numbers != DEFAULT_NUMBERS

    def forms_text(self) -> str:
        shown = list(dict.fromkeys(f.text.split(" ")[0] for f in self.forms))
        return " or ".join([*shown[:3], "YYYY-MM-DD"])


DEFAULT_RULES = TextRules()


def rules_for(column: Column, locale: Locale | None) -> TextRules:
    """The rules for ``column`` under ``locale`` (None: no locale)."""
    numbers = locale.numbers if locale else DEFAULT_NUMBERS
    forms: tuple[DateForm, ...] = ()
    own = bool(column.formats)
    if column.type in ("date", "datetime"):
        if column.formats:
            forms = tuple(compile_form(f, column.type) for f in column.formats)
        elif locale is not None:
            forms = locale.date_forms(column.type)
    true_words = locale.words(True) if locale else TRUE_WORDS
    false_words = locale.words(False) if locale else FALSE_WORDS
    pairs = [f"{t[0]}/{f[0]}" for t, f in _word_sources(column, locale) if t and f]
    return TextRules(
        locale=locale,
        numbers=numbers,
        forms=forms,
        own_forms=own,
        true_words=true_words | fold_words(column.true_values),
        false_words=false_words | fold_words(column.false_values),
        word_hint=", ".join([*pairs, "true/false", "yes/no"]) + " or 1/0",
    )


def _word_sources(
    column: Column, locale: Locale | None
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    found = [(column.true_values, column.false_values)]
    if locale is not None:
        found.append((locale.true_words, locale.false_words))
    return found


@lru_cache(maxsize=64)
def number_patterns(numbers: NumberFormat) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(plain, grouped) for per-value matching: 12,5 / 1.234,5 under a decimal comma."""
    dec = re.escape(numbers.decimal)
    groups = "|".join(re.escape(g) for g in numbers.groups)
    plain = re.compile(rf"[+-]?(?:\d+(?:{dec}\d*)?|{dec}\d+)")
    grouped = re.compile(rf"([+-]?)(\d{{1,3}}(?:({groups})\d{{3}})(?:\3\d{{3}})*)({dec}\d*)?")
    return plain, grouped


@lru_cache(maxsize=8)
def _lakh(numbers: NumberFormat) -> re.Pattern[str]:
    """Indian grouping, with number_patterns' groups: 12,34,567.89."""
    dec, g = re.escape(numbers.decimal), re.escape(numbers.groups[0])
    # at least one pair: 12,345 is a thousands grouping, which number_patterns reads
    return re.compile(rf"([+-]?)(\d{{1,2}}(?:({g})\d{{2}})+{g}\d{{3}})({dec}\d*)?")


def plain_number(text: str, numbers: NumberFormat) -> str | None:
    """The text as a plain number with a decimal point and no grouping, or None when it is
    not a number as ``numbers`` writes them (groups of three, one separator throughout).
    The minus sign U+2212 (Swedish and Finnish office suites write it) is a minus."""
    text = text.replace(MINUS_SIGN, "-") if MINUS_SIGN in text else text
    plain, grouped = number_patterns(numbers)
    if plain.fullmatch(text):
        return text.replace(numbers.decimal, ".") if numbers.decimal != "." else text
    match = grouped.fullmatch(text) or (_lakh(numbers).fullmatch(text) if numbers.lakh else None)
    if match is None:
        return None
    digits = match.group(2).replace(match.group(3), "")
    fraction = (match.group(4) or "").replace(numbers.decimal, ".")
    return match.group(1) + digits + fraction


def money_number(text: str, numbers: NumberFormat) -> str | None:
    """An amount written with its currency ('$1,234.50', '1.234,50 €', '(£5)') as a plain
    number, as plain_number gives it; None when it is not one."""
    found = split_money(text)
    if found is None:
        return None
    sign, number, _currency = found
    plain = plain_number(number, numbers)
    return None if plain is None or plain[0] in "+-" else sign + plain


def percent_number(text: str, numbers: NumberFormat) -> str | None:
    """A percentage ('15%', '12,5 %') as the plain number it stands for ('0.15', '0.125'),
    as a spreadsheet holds a cell it shows so; None when it is not one."""
    number = split_percent(text)
    plain = None if number is None else plain_number(number, numbers)
    return None if plain is None else format(Decimal(plain).scaleb(-2), "f")


def shown_number(text: str, numbers: NumberFormat) -> tuple[str | None, bool]:
    """(plain number, whether it was a percentage) of a number as a spreadsheet shows it:
    bare (plain_number), with its currency (money_number) or as a percentage
    (percent_number); (None, False) when it is none of them."""
    plain = plain_number(text, numbers) or money_number(text, numbers)
    if plain is not None:
        return plain, False
    percent = percent_number(text, numbers)
    return percent, percent is not None


@lru_cache(maxsize=1)
def _comma_formats() -> dict[NumberFormat, str]:
    """Each decimal-comma number format, and the first locale that writes it."""
    found: dict[NumberFormat, str] = {}
    for locale in LOCALES.values():
        if locale.numbers.decimal != ".":
            found.setdefault(locale.numbers, locale.tag)
    return found


@lru_cache(maxsize=1)
def _speakers() -> dict[str, str]:
    """Each locale's own word, and the first locale that has it."""
    found: dict[str, str] = {}
    for locale in LOCALES.values():
        for word in locale.words(True) | locale.words(False):
            found.setdefault(word, locale.tag)
    return found


def number_hint(text: str, rules: TextRules) -> str:
    """What to add to a number's error: the locale it was read by, or one that reads it."""
    if rules.locale is not None:
        return f" as {rules.locale.tag} writes numbers (like {rules.locale.example_number})"
    if "," not in text:  # most errors: no decimal comma to point out
        return ""
    for numbers, tag in _comma_formats().items():
        if shown_number(text, numbers)[0] is not None:
            return f" (a decimal comma? {LOCALE_FIELD}, e.g. {tag})"
    return ""


def word_hint(text: str, rules: TextRules) -> str:
    tag = None if rules.locale is not None else _speakers().get(text.casefold())
    if tag is not None:
        return f"use {rules.word_hint}, or {LOCALE_FIELD}, e.g. {tag}"
    return f"use {rules.word_hint}"


def date_hint(text: str, rules: TextRules, iso_hint: str) -> str:
    """The advice after a date that no rule read."""
    if TWO_DIGIT_YEAR.fullmatch(text):
        return "write the year with four digits"
    if rules.forms:
        tag = rules.locale.tag if rules.locale else ""
        whose = "the column's formats" if rules.own_forms else f"as {tag} writes dates"
        return f"use {rules.forms_text()} ({whose})"
    if AMBIGUOUS_DATE.fullmatch(text):
        return f"{iso_hint}, or {LOCALE_FIELD} (day-first: en-GB, de-DE; month-first: en-US)"
    return iso_hint


def by_forms(text: str, forms: tuple[DateForm, ...]) -> tuple[datetime, bool] | None:
    """(naive datetime, whether a time was written) by the first form that matches, None
    when none does; ValueError for a match that is no real date or time."""
    for form in forms:
        match = form.regex.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        hour = int(parts.get("hour") or 0)
        if parts.get("hour12") is not None:
            hour12 = int(parts["hour12"])
            if not 1 <= hour12 <= 12:
                raise ValueError("hour out of range")
            hour = hour12 % 12 + (12 if parts["ampm"].upper() == "PM" else 0)
        value = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            hour,
            int(parts.get("minute") or 0),
            int(parts.get("second") or 0),
        )
        return value, form.has_time
    return None
