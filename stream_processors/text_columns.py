"""Vectorised reading of text columns by their TextRules: the fast paths of validation.py.

Each function takes trimmed text (null for a missing value) and returns the typed array with
null wherever its fast path did not read the value; validation.py parses those one by one
(converters.py), which decides and explains. A locale changes the kernels, not their number:
a number column is matched, stripped of its grouping and given a decimal point with string
kernels, then cast; a date column is read by Arrow's strptime in the locale's usual form, the
few values left over by its other forms and by ISO.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.arrow_types import UTC_MICROS
from schemas.date_forms import DateForm
from schemas.locales import NumberFormat
from schemas.money import NOT_A_NUMBER_CHARACTER
from stream_processors.text_rules import TextRules

NULL_STRING = pa.scalar(None, pa.string())
_NAIVE = pa.timestamp("us")
ISO_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
# naive or UTC ("Z") ISO datetimes, the common shape, stay vectorised
ISO_DATETIME_RE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z| ?UTC)?$"
# strptime reads %Y as up to four digits: a year before this is a two-digit one
_FIRST_YEAR = 1000
# at most this many values left by a column's first date form are parsed one by one
FEW_LEFT = 16
# invisible characters text pasted from web pages, e-mails and PDFs brings along: zero-width
# spaces and joiners, direction marks, the word joiner, a byte-order mark. Each is encoded
# in UTF-8 from the byte 0xE2 up, which most columns never hold.
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_FIRST_INVISIBLE_BYTE = 0xE2


# RE2's \s is ASCII: the no-break space and INVISIBLE characters are named
_NOT_IN_EMAIL = r'\s\x{00A0}\x{200B}-\x{200F}\x{2060}\x{FEFF}@,;:<>()\[\]\\"'
EMAIL_RE = rf"^[^{_NOT_IN_EMAIL}]+@(?:[^{_NOT_IN_EMAIL}.]+\.)+[^{_NOT_IN_EMAIL}.]{{2,}}$"


def clean(raw: pa.Array) -> pa.Array:
    """Trimmed text (trim), with empty and blank cells as null (a missing value)."""
    if not pa.types.is_string(raw.type):
        raw = pc.cast(raw, pa.string())
    text = trim(raw)
    blank = pc.equal(text, "")
    return pc.if_else(blank, NULL_STRING, text) if blank.true_count else text


def trim(text: pa.Array) -> pa.Array:
    """Cells without the white space and the INVISIBLE characters around them: '42\u200b'
    is 42, as the person saw it."""
    text = pc.utf8_trim_whitespace(text)
    data = text.buffers()[2]
    if data is None or not len(data) or np.frombuffer(data, np.uint8).max() < _FIRST_INVISIBLE_BYTE:
        return text
    return pc.utf8_trim_whitespace(pc.utf8_trim(text, INVISIBLE))


def with_marks(text: pa.Array, where: pa.Array) -> list[tuple[int, str]]:
    """(position, text) of the values ``where`` picks that hold a character no bare number
    holds (a currency's): what the per-value checks of amounts need, without the grouped
    numbers that are most of what the slow path reads."""
    if not pc.any(where).as_py():
        return []
    marked = pc.and_(where, pc.match_substring_regex(text, NOT_A_NUMBER_CHARACTER))
    indices = pc.indices_nonzero(pc.fill_null(marked, False))
    return list(zip(indices.to_pylist(), pc.take(text, indices).to_pylist(), strict=True))


def number_re(numbers: NumberFormat, int_digits: int, fraction: str) -> str:
    """RE2 for the well-formed numbers of a column: at most ``int_digits`` digits before
    the decimal separator, grouped or not, then ``fraction`` (a regex using ``{dec}``)."""
    dec = _re2(numbers.decimal)
    plain = rf"\d{{1,{max(int_digits, 1)}}}"
    if numbers.groups and int_digits > 3:
        more = (int_digits - 1) // 3
        grouped = "|".join(rf"\d{{1,3}}(?:{_re2(g)}\d{{3}}){{1,{more}}}" for g in numbers.groups)
        if numbers.lakh:
            g, pairs = _re2(numbers.groups[0]), (int_digits - 4) // 2
            grouped += rf"|\d{{1,2}}(?:{g}\d{{2}}){{0,{pairs}}}{g}\d{{3}}"
        plain = f"(?:{plain}|{grouped})"
    return rf"^-?{plain}{fraction.format(dec=dec)}$"


def _re2(char: str) -> str:
    return "\\" + char if char in ".'" else char


def normalise_numbers(text: pa.Array, numbers: NumberFormat) -> pa.Array:
    """Grouping removed and the decimal separator made a point: castable text."""
    for group in numbers.groups:
        if group != numbers.decimal:
            text = pc.replace_substring(text, group, "")
    if numbers.decimal != ".":
        text = pc.replace_substring(text, numbers.decimal, ".")
    return text


def fill_left(typed: pa.Array, text: pa.Array, convert: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``typed`` with the values it lacks (text, but no value) converted from just those
    texts: the few values a column's first pass left are not worth another whole pass."""
    left = pc.and_(pc.is_valid(text), pc.is_null(typed))
    if not pc.any(left).as_py():
        return typed
    found = convert(pc.filter(text, left))
    return pc.replace_with_mask(typed, left, found.cast(typed.type))


def by_form(text: pa.Array, form: DateForm) -> pa.Array:
    """Naive timestamps of the values in ``form``, null for the rest and for impossible
    dates, which strptime would roll over into the next month (31.04. as 01.05.)."""
    stamps = pc.strptime(text, format=form.strptime, unit="us", error_is_null=True)
    if stamps.null_count == len(stamps):
        return stamps
    odd = pc.less(pc.year(stamps), _FIRST_YEAR)
    early = pc.fill_null(pc.less_equal(pc.day(stamps), 3), False)
    if pc.any(early).as_py():  # a rolled-over day lands on the 1st to 3rd: was it 29-31?
        late = pc.match_substring_regex(pc.filter(text, early), form.late_day)
        odd = pc.or_(odd, pc.replace_with_mask(pc.and_(early, False), early, late))
    return pc.if_else(pc.fill_null(odd, False), pa.scalar(None, _NAIVE), stamps)


def _left(typed: pa.Array, text: pa.Array) -> int:
    return pc.and_(pc.is_valid(text), pc.is_null(typed)).true_count


def temporal(kind: str, rules: TextRules, text: pa.Array) -> pa.Array:
    """A date or datetime column: ISO alone without forms; with forms (a locale's or the
    column's), the first form over the whole column, then the other forms and ISO over what
    it left. A few values left go straight to the per-value parser, which reads every form:
    each further vectorised pass costs a dozen kernel calls whatever its length."""
    if not rules.forms:
        return iso_temporal(kind, text)
    target = UTC_MICROS if kind == "datetime" else pa.date32()
    typed = pc.cast(by_form(text, rules.forms[0]), target)
    if _left(typed, text) <= FEW_LEFT:
        return typed
    for form in rules.forms[1:]:
        typed = fill_left(typed, text, lambda rest, f=form: pc.cast(by_form(rest, f), target))  # type: ignore[misc]
    return fill_left(typed, text, lambda rest: iso_temporal(kind, rest))


def iso_temporal(kind: str, text: pa.Array) -> pa.Array:
    """ISO dates or date-times (naive ones are UTC) as ``kind``'s Arrow type."""
    fast = pc.fill_null(
        pc.match_substring_regex(text, ISO_DATE_RE if kind == "date" else ISO_DATETIME_RE), False
    )
    candidates = pc.if_else(fast, text, NULL_STRING)
    if kind == "datetime":
        # candidates end in a digit, then at most a Z or " UTC" (as database exports write
        # it): a trim of those characters is ~25x cheaper than a regex
        candidates = pc.utf8_rtrim(candidates, "Z UTC")
    try:
        if kind == "datetime":
            return pc.cast(pc.cast(candidates, _NAIVE), UTC_MICROS)  # naive values are UTC
        return pc.cast(candidates, pa.date32())
    except pa.ArrowInvalid:
        pass
    # One impossible calendar value fails the whole cast. strptime nulls just that value,
    # but rolls 2024-02-30 over into March (and :60 into the next minute), so keep only
    # the values whose parsed parts equal the written ones; the rest go the slow way.
    iso = pc.replace_substring(candidates, " ", "T")
    fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%S"
    stamps = pc.strptime(iso, format=fmt, unit="us", error_is_null=True)
    parts = [(pc.day, 8)] if kind == "date" else [(pc.day, 8), (pc.minute, 14), (pc.second, 17)]
    exact = pc.is_valid(stamps)
    for extract, at in parts:
        written = pc.cast(pc.utf8_slice_codeunits(iso, at, at + 2), pa.int64())
        exact = pc.and_(exact, pc.fill_null(pc.equal(extract(stamps), written), False))
    stamps = pc.if_else(exact, stamps, pa.scalar(None, stamps.type))
    if kind == "date":
        return pc.cast(stamps, pa.date32())
    return pc.cast(stamps, UTC_MICROS)


def booleans(text: pa.Array, true_words: pa.Array, false_words: pa.Array) -> pa.Array:
    lower = pc.utf8_lower(text)
    is_true, is_false = pc.is_in(lower, true_words), pc.is_in(lower, false_words)
    return pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))
