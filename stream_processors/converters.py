"""Per-value parsing of spreadsheet cell text, for the values the vectorised fast path rejects.

Every parser takes text that is already trimmed and non-empty, and returns the typed value or
raises ``ConversionError`` whose message is written for the person who made the sheet.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Context, Decimal, InvalidOperation

from schemas.date_forms import DateForm
from stream_processors.text_rules import (
    AMBIGUOUS_DATE,
    DEFAULT_RULES,
    TWO_DIGIT_YEAR,
    TextRules,
    by_forms,
    date_hint,
    number_hint,
    plain_number,
    shown_number,
    word_hint,
)
from stream_processors.unambiguous_dates import TwoDigitYear, month_name_date, year_first_date

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Excel's 1900 date system: serial 1 is 1900-01-01, 2958465 is 9999-12-31.
EXCEL_MAX_SERIAL = 2_958_465
# Excel believes 1900 was a leap year: serial 60 is the non-existent 1900-02-29.
_EXCEL_LEAP_BUG = 60

# Decimal's default context keeps 28 digits; decimal128 holds 38, so give ample room.
_CTX = Context(prec=80)
_EXPONENT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# the hour may have one digit: "2024-01-02 9:30:00" is how LibreOffice and Excel show (and
# save to CSV) a date-time cell formatted yyyy-mm-dd h:mm:ss, openpyxl's default
_ISO_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*([Zz]|(?i:utc|gmt)|[+-]\d{2}(?::?\d{2})?)?"
)
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")
DATETIME_HINT = "use YYYY-MM-DD HH:MM[:SS], optionally with Z or a +HH:MM offset"
# a bare number is no date unless the column says it holds Excel serial numbers
DATE_EXPECTED = "expected a date like 2024-05-31"
DATETIME_EXPECTED = "expected a date like 2024-05-31 or 2024-05-31T10:00:00Z"


class ConversionError(ValueError):
    """A cell that cannot become a value of its column's type; ``str()`` is for a person."""


def quote(text: str, limit: int = 60) -> str:
    """The value as shown inside a message: quoted, and cut short when it is long."""
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 1]}…'"


def _scientific(text: str) -> ConversionError | None:
    """'1.23457E+11': what a CSV holds where Excel showed a long number in a General column,
    its digits gone; an integer or decimal column takes no exponent."""
    if not _EXPONENT.fullmatch(text):
        return None
    return ConversionError(
        f"{quote(text)} is in scientific notation, as Excel shows a long number in a General "
        "column, and may have lost digits: format the column as Number (or Text) in the sheet "
        "and save it again"
    )


def parse_integer(text: str, rules: TextRules = DEFAULT_RULES) -> int:
    plain = plain_number(text, rules.numbers)
    if plain is None:
        raise _scientific(text) or ConversionError(
            f"{quote(text)} is not an integer{number_hint(text, rules)}"
        )
    number = Decimal(plain)
    # Excel hands out integers as "42.0"; anything with a real fraction is not one.
    if number != number.to_integral_value(context=_CTX):
        raise ConversionError(f"{quote(text)} is not an integer: expected a whole number")
    value = int(number)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ConversionError(f"{quote(text)} is too large for an integer")
    return value


def parse_decimal(
    text: str, scale: int, max_int_digits: int, rules: TextRules = DEFAULT_RULES
) -> Decimal:
    plain, percent = shown_number(text, rules.numbers)
    if plain is None:
        raise _scientific(text) or ConversionError(
            f"{quote(text)} is not a decimal number{number_hint(text, rules)}"
        )
    number = Decimal(plain)
    try:
        fixed = number.quantize(Decimal(1).scaleb(-scale), context=_CTX)
    except InvalidOperation:
        raise ConversionError(f"{quote(text)} is too large") from None
    if fixed != number:  # trailing zeros beyond the scale are harmless, digits are not
        shown = f"{quote(text)} ({plain})" if percent else quote(text)  # '15.25%' (0.1525)
        raise ConversionError(f"{shown} has more than {scale} decimal places")
    if abs(fixed) >= Decimal(10) ** max_int_digits:
        raise ConversionError(
            f"{quote(text)} is too large (at most {max_int_digits} digits before the point)"
        )
    return fixed


def parse_float(text: str, rules: TextRules = DEFAULT_RULES) -> float:
    plain, _ = shown_number(text, rules.numbers)
    if plain is None:
        with_point = text.replace(rules.numbers.decimal, ".")
        plain = with_point if _EXPONENT.fullmatch(with_point) else None
    if plain is None:  # also rejects nan / inf, which no database column wants
        raise ConversionError(f"{quote(text)} is not a number{number_hint(text, rules)}")
    value = float(plain)
    if value in (float("inf"), float("-inf")):
        raise ConversionError(f"{quote(text)} is too large")
    return value


def parse_boolean(text: str, rules: TextRules = DEFAULT_RULES) -> bool:
    word = text.casefold()
    if word in rules.true_words:
        return True
    if word in rules.false_words:
        return False
    raise ConversionError(f"{quote(text)} is not a boolean ({word_hint(text, rules)})")


def _excel_serial(text: str) -> datetime:
    serial = Decimal(text)
    days = int(serial)
    if not 1 <= days <= EXCEL_MAX_SERIAL:
        raise ConversionError(
            f"{quote(text)} is not a date (as an Excel serial number it must be "
            f"between 1 and {EXCEL_MAX_SERIAL})"
        )
    if days == _EXCEL_LEAP_BUG:
        raise ConversionError(f"{quote(text)} is Excel's 1900-02-29, which did not exist")
    base = datetime(1899, 12, 31) if days < _EXCEL_LEAP_BUG else datetime(1899, 12, 30)
    # Excel keeps times to the millisecond; rounding hides binary fractions like .99999
    millis = int(((serial - days) * 86_400_000).to_integral_value())
    try:
        return base + timedelta(days=days, milliseconds=millis)
    except OverflowError:
        raise ConversionError(f"{quote(text)} is beyond 9999-12-31") from None


def _offset(text: str) -> timezone:
    if text[0] not in "+-":  # Z, or UTC and GMT as database exports write them
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _iso_datetime(text: str, match: re.Match[str]) -> datetime:
    day_text, hour, minute, second, fraction, zone = match.groups()
    try:
        day = date.fromisoformat(day_text)
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        tz = _offset(zone) if zone else UTC  # naive values are taken as UTC
        return datetime(
            day.year,
            day.month,
            day.day,
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micros,
            tzinfo=tz,
        )
    except ValueError:
        raise ConversionError(f"{quote(text)} is not a valid date-time") from None


def _bare_number(text: str, expected: str) -> ConversionError:
    return ConversionError(
        f"{quote(text)} is a number, not a date: {expected} "
        "(a column of Excel serial numbers declares excel_serial: true)"
    )


def _by_forms(text: str, forms: tuple[DateForm, ...], what: str) -> tuple[datetime, bool] | None:
    try:
        return by_forms(text, forms)
    except ValueError:
        raise ConversionError(f"{quote(text)} is not a valid {what}") from None


def _unambiguous(text: str, what: str) -> tuple[datetime, bool] | None:
    """A date every locale reads alike (unambiguous_dates.py)."""
    try:
        return month_name_date(text) or year_first_date(text)
    except TwoDigitYear:
        raise ConversionError(f"{quote(text)}: write the year with four digits") from None
    except ValueError:
        raise ConversionError(f"{quote(text)} is not a valid {what}") from None


def _not_a_date(text: str, rules: TextRules, what: str, iso_hint: str) -> ConversionError:
    if not rules.forms and AMBIGUOUS_DATE.fullmatch(text) and not TWO_DIGIT_YEAR.fullmatch(text):
        return ConversionError(f"{quote(text)} is ambiguous: {date_hint(text, rules, iso_hint)}")
    return ConversionError(f"{quote(text)} is not a {what}: {date_hint(text, rules, iso_hint)}")


def parse_datetime(
    text: str, excel_serial: bool = False, rules: TextRules = DEFAULT_RULES
) -> datetime:
    """An aware datetime in UTC."""
    match = _ISO_DATETIME.fullmatch(text)
    if match:
        return _iso_datetime(text, match).astimezone(UTC)
    found = _by_forms(text, rules.forms, "date-time") if rules.forms else None
    found = found or _unambiguous(text, "date-time")
    if found is not None:
        return found[0].replace(tzinfo=UTC)  # naive values are UTC
    if _SERIAL.fullmatch(text):
        if not excel_serial:
            raise _bare_number(text, DATETIME_EXPECTED)
        return _excel_serial(text).replace(tzinfo=UTC)
    raise _not_a_date(text, rules, "date-time", DATETIME_HINT)


def _local_date(text: str, rules: TextRules) -> date | None:
    found = _by_forms(text, rules.forms, "date") if rules.forms else None
    if found is None and rules.locale is not None and not rules.own_forms:
        found = _by_forms(text, rules.locale.date_forms("datetime"), "date")
    found = found or _unambiguous(text, "date")
    if found is None:
        return None
    value, _ = found
    if value.time() != datetime.min.time():
        raise ConversionError(f"{quote(text)} has a time of day: use {rules.forms_text()}")
    return value.date()


def parse_date(text: str, excel_serial: bool = False, rules: TextRules = DEFAULT_RULES) -> date:
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ConversionError(f"{quote(text)} is not a valid date") from None
    match = _ISO_DATETIME.fullmatch(text)
    if match:
        # A spreadsheet often stores a date as a datetime at midnight; any other time
        # means the value is not a date, and silently dropping it would lose data.
        value = _iso_datetime(text, match)
        if value.time() != datetime.min.time():
            raise ConversionError(f"{quote(text)} has a time of day: use YYYY-MM-DD")
        return value.date()
    local = _local_date(text, rules)
    if local is not None:
        return local
    if _SERIAL.fullmatch(text):
        if not excel_serial:
            raise _bare_number(text, DATE_EXPECTED)
        return _excel_serial(text).date()
    raise _not_a_date(text, rules, "date", "use YYYY-MM-DD")


def typed_text(value: object) -> str:
    """A typed cell (from a chunk column that is not text) as the text the parsers take and
    messages show: floats by their shortest repr in plain notation, TRUE/FALSE, ISO dates."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)  # 'nan', 'inf': every parser refuses them
        if value.is_integer() and abs(value) < 2**63:
            return str(int(value))
        return f"{Decimal(repr(value)):f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
