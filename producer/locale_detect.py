"""Detect the reading locale of an upload from its own text, on unambiguous evidence only.

Pure: batches in, a ``Detection`` out. The sample is the text cells of the first
``DETECT_ROWS`` rows in the dataset's number, date and boolean columns (typed cells, and the
number cells of a column that mixes them with text, say nothing about how a person writes).
The rules, as docs/datasets.md states them:

1. When the reading without a locale reads every sampled value that some locale reads,
   nothing is detected, and nothing needs to be.
2. Otherwise the candidates are the supported locales that read every such value: their
   number format reads every number (3,01 rules out a decimal point, 3.01 a decimal comma),
   their date order every date (13/01/2024 rules out month-first) and their words every
   word (ja/nein: German).
3. When the candidates read the sample alike, the first of the table wins; when two read a
   value differently (01/02/2024: en-US month-first, en-GB day-first), or none is left, no
   locale is detected and ``note`` says why.

Vectorised: quick tests set aside the plain cells (digits with one point, ISO dates, plain
words), the patterns run on the few distinct values left, and the rules on the whole sample
only when those are not plain; the number formats are matched on the distinct shapes of the
numbers (digits as 0), not on every distinct number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.arrow_codec import number_cells_column
from schemas.dataset import Dataset
from schemas.locales import DEFAULT_NUMBERS, FALSE_WORDS, LOCALES, TRUE_WORDS, Locale, NumberFormat

DETECT_ROWS = 10_000
_NUMBER_TYPES = {"integer", "decimal", "float"}
_DATE_TYPES = {"date", "datetime"}
_BOOL_TYPES = {"boolean"}
_DATE_SHAPE = r"^(?P<a>\d{1,4})(?P<s>[./-])(?P<b>\d{1,2})(?P<t>[./-])(?P<c>\d{1,4})(?:$|[ T])"


@dataclass(frozen=True)
class Detection:
    locale: str | None  # the detected tag, or None
    note: str | None = None  # why none was, when the file needed one


def _text_cells(batch: pa.RecordBatch, name: str) -> pa.Array:
    """Column ``name`` without its number cells (arrow_codec.NUMBER_CELLS_PREFIX): a number
    cell is read alike in every locale, so it is no evidence of one."""
    text = batch.column(name)
    marks = number_cells_column(name)
    if marks in batch.schema.names:
        text = pc.filter(text, pc.invert(batch.column(marks)))
    return text


def _cells(batches: Sequence[pa.RecordBatch], dataset: Dataset, types: set[str]) -> list[pa.Array]:
    """The text cells of the dataset's columns of ``types`` (without a format), per batch."""
    return [
        _text_cells(batch, col.name)
        for batch in batches
        for col in dataset.columns
        if col.type in types
        and not col.formats
        and col.name in batch.schema.names
        and pa.types.is_string(batch.schema.field(col.name).type)
    ]


def _texts(
    batches: Sequence[pa.RecordBatch],
    dataset: Dataset,
    types: set[str],
    plain: Callable[[pa.Array], pa.Array] | None = None,
) -> pa.Array:
    """The distinct trimmed, non-empty text cells of the dataset's columns of ``types``;
    with ``plain``, without the cells it passes."""
    pieces = _cells(batches, dataset, types)
    if plain is not None:
        pieces = [pc.filter(cells, pc.invert(plain(cells))) for cells in pieces]
    if not pieces:
        return pa.array([], pa.string())
    text = pc.utf8_trim_whitespace(pa.concat_arrays(pieces))
    text = pc.filter(text, pc.fill_null(pc.not_equal(text, ""), False))
    return pc.unique(text)


def _number_re(numbers: NumberFormat) -> str:
    esc = {".": r"\.", "'": r"\'"}
    dec = esc.get(numbers.decimal, numbers.decimal)
    grouped = "|".join(rf"(?:{esc.get(g, g)}\d{{3}})+" for g in numbers.groups)
    return rf"^[+-]?(?:\d+(?:{dec}\d*)?|{dec}\d+|\d{{1,3}}(?:{grouped})(?:{dec}\d*)?)$"


def _shapes(values: pa.Array) -> pa.Array:
    """Each value with its ASCII digits written as 0: a number pattern (digits as \\d, the
    separators as themselves) reads a value exactly when it reads its shape. The bytes are
    mapped in place, so a UTF-8 character other than a digit stays as it is."""
    validity, offsets, data = values.buffers()
    if data is None:
        return values
    shaped = _DIGITS_AS_ZERO[np.frombuffer(data, dtype=np.uint8)]
    return pa.StringArray.from_buffers(
        len(values),
        offsets,
        pa.py_buffer(shaped.tobytes()),
        validity,
        values.null_count,
        values.offset,
    )


_DIGITS_AS_ZERO = np.arange(256, dtype=np.uint8)
_DIGITS_AS_ZERO[ord("0") : ord("9") + 1] = ord("0")


def _normalised(values: pa.Array, numbers: NumberFormat) -> pa.Array:
    for group in numbers.groups:
        values = pc.replace_substring(values, group, "")
    return pc.replace_substring(values, numbers.decimal, ".")


class _Evidence:
    """Which sampled values each number format, date order and locale reads."""

    def __init__(self, numbers: pa.Array, dates: pa.Array, words: pa.Array) -> None:
        self.numbers = numbers
        formats = {DEFAULT_NUMBERS, *(loc.numbers for loc in LOCALES.values())}
        # each pattern runs on the few distinct shapes (1.234,56 and 9.876,54 are one)
        shapes = _shapes(numbers)
        distinct = pc.unique(shapes)
        at = pc.index_in(shapes, distinct)
        self.number_ok = {
            f: pc.take(pc.match_substring_regex(distinct, _number_re(f)), at) for f in formats
        }
        self.number_any = _any(list(self.number_ok.values()), len(numbers))
        self.dates = dates
        self.words = _foreign(words)

    # The date masks are computed when first asked for: rule 1 mostly has no dates left.
    @cached_property
    def _parts(self) -> dict[str, pa.Array]:
        # flattened, a value that is no date is null in every part (not an empty string)
        extracted = pc.extract_regex(self.dates, _DATE_SHAPE)
        return dict(zip(extracted.type.names, extracted.flatten(), strict=True))

    @cached_property
    def day_month(self) -> tuple[pa.Array, pa.Array]:
        return _int(self._parts["a"]), _int(self._parts["b"])

    @cached_property
    def date_ok(self) -> dict[str, pa.Array]:
        parts = self._parts
        same_sep = pc.fill_null(pc.equal(parts["s"], parts["t"]), False)
        a, b = self.day_month
        c = _int(parts["c"])
        a4 = pc.equal(pc.utf8_length(parts["a"]), 4)
        c4 = pc.equal(pc.utf8_length(parts["c"]), 4)
        return {
            "YMD": _all(same_sep, a4, _between(b, 12), _between(c, 31)),
            "DMY": _all(same_sep, c4, _between(a, 31), _between(b, 12)),
            "MDY": _all(same_sep, c4, _between(a, 12), _between(b, 31)),
        }

    @cached_property
    def iso(self) -> pa.Array:  # read without a locale too
        two = [pc.equal(pc.utf8_length(self._parts[n]), 2) for n in "bc"]
        return _all(self.date_ok["YMD"], pc.equal(self._parts["s"], "-"), *two)

    @cached_property
    def date_any(self) -> pa.Array:
        return _any(list(self.date_ok.values()), len(self.dates))

    def numbers_read(self, numbers: NumberFormat) -> bool:
        return not _count(pc.and_(self.number_any, pc.invert(self.number_ok[numbers])))

    def dates_read(self, order: str | None) -> bool:
        if not len(self.dates):
            return True
        ok = self.iso if order is None else pc.or_(self.date_ok[order], self.iso)
        return not _count(pc.and_(self.date_any, pc.invert(ok)))

    def reads_all(self, loc: Locale | None) -> bool:
        if loc is None:
            return self.numbers_read(DEFAULT_NUMBERS) and self.dates_read(None) and not self.words
        known = loc.words(True) | loc.words(False)
        return (
            self.numbers_read(loc.numbers)
            and self.dates_read(loc.date_order)
            and all(w in known for w in self.words)
        )

    def difference(self, one: Locale, other: Locale) -> str | None:
        """A sampled value the two read differently, or None."""
        if one.numbers.decimal != other.numbers.decimal:
            both = pc.and_(self.number_ok[one.numbers], self.number_ok[other.numbers])
            values = pc.filter(self.numbers, both)
            differ = pc.not_equal(
                _normalised(values, one.numbers), _normalised(values, other.numbers)
            )
            if _count(differ):
                return str(pc.filter(values, differ)[0])
        if {one.date_order, other.date_order} == {"DMY", "MDY"}:
            a, b = self.day_month
            both = pc.and_(self.date_ok["DMY"], self.date_ok["MDY"])
            differ = pc.fill_null(pc.and_(both, pc.not_equal(a, b)), False)
            if _count(differ):
                return str(pc.filter(self.dates, differ)[0])
        return None

    def conflicts(self) -> list[str]:
        """Why no locale reads the whole sample, as far as one kind of value tells."""
        found = []
        comma = self._only(",")
        point = self._only(".")
        if comma and point:
            found.append(f"numbers have a decimal comma ({comma}) and a decimal point ({point})")
        day = _first(self.dates, pc.and_(self.date_ok["DMY"], pc.invert(self.date_ok["MDY"])))
        month = _first(self.dates, pc.and_(self.date_ok["MDY"], pc.invert(self.date_ok["DMY"])))
        if day and month:
            found.append(f"dates are written day-first ({day}) and month-first ({month})")
        elif not (day or month):
            a, b = self.day_month
            both = pc.and_(self.date_ok["DMY"], self.date_ok["MDY"])
            either = _first(self.dates, pc.and_(both, pc.not_equal(a, b)))
            if either:
                found.append(f"dates like {either} read differently day-first and month-first")
        return found or ["no supported locale reads all of its numbers, dates and words"]

    def _only(self, decimal: str) -> str | None:
        """A number only a format with this decimal separator reads."""
        mine = [ok for f, ok in self.number_ok.items() if f.decimal == decimal]
        others = [ok for f, ok in self.number_ok.items() if f.decimal != decimal]
        only = pc.and_(_any(mine, len(self.numbers)), pc.invert(_any(others, len(self.numbers))))
        return _first(self.numbers, only)


def _int(parts: pa.Array) -> pa.Array:
    return pc.cast(parts, pa.int64())


def _between(value: pa.Array, top: int) -> pa.Array:
    return pc.and_(pc.greater_equal(value, 1), pc.less_equal(value, top))


def _all(*masks: pa.Array) -> pa.Array:
    out = masks[0]
    for mask in masks[1:]:
        out = pc.and_(out, mask)
    return pc.fill_null(out, False)


def _any(masks: list[pa.Array], length: int) -> pa.Array:
    out = pa.array([False] * length, pa.bool_())
    for mask in masks:
        out = pc.or_(out, pc.fill_null(mask, False))
    return out


def _count(mask: pa.Array) -> int:
    return int(pc.fill_null(mask, False).true_count)


def _first(values: pa.Array, mask: pa.Array) -> str | None:
    picked = pc.filter(values, pc.fill_null(mask, False))
    return str(picked[0]) if len(picked) else None


def _foreign(words: pa.Array) -> list[str]:
    """The words some locale reads and the reading without one does not."""
    plain = TRUE_WORDS | FALSE_WORDS
    return [w for w in words.to_pylist() if w not in plain and _speakers(w)]


def _speakers(word: str) -> bool:
    return any(word in loc.words(True) | loc.words(False) for loc in LOCALES.values())


# The values a reading without a locale reads (numbers with a decimal point and no grouping;
# ISO dates: the iso mask of _Evidence as one pattern, month 01-12, day 01-31) never count
# against rule 1, so rule 1 is checked on the others only: a few values of most files.
_ISO_DATE = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:$|[ T])"
_WORDS = pa.array(sorted(TRUE_WORDS | FALSE_WORDS), pa.string())


def _unplain(values: pa.Array, pattern: str) -> pa.Array:
    """The values ``pattern`` does not match that could still be a number or a date: every
    number format and date shape has a digit, so 'many' or 'TBD' is no evidence."""
    left = pc.filter(values, pc.invert(pc.match_substring_regex(values, pattern)))
    return pc.filter(left, pc.match_substring_regex(left, "[0-9]"))


def _plain_numbers(cells: pa.Array) -> pa.Array:
    """Digits with at most one point: numbers the reading without a locale reads, found
    at a fraction of its pattern's cost."""
    return pc.ascii_is_decimal(pc.replace_substring(cells, ".", "", max_replacements=1))


def _plain_dates(cells: pa.Array) -> pa.Array:
    """ISO dates as written (untrimmed): on the cells, not their distinct values, since
    dates are mostly distinct and the pattern costs less than finding them."""
    return pc.match_substring_regex(cells, _ISO_DATE)


def _plain_words(cells: pa.Array) -> pa.Array:
    """The words every reading reads, as written (a capital leaves one to the rules)."""
    return pc.is_in(cells, _WORDS)


def detect_locale(batches: Sequence[pa.RecordBatch], dataset: Dataset) -> Detection:
    """The locale the sample's text is written in, when it says so unambiguously."""
    words = pc.utf8_lower(_texts(batches, dataset, _BOOL_TYPES, _plain_words))
    numbers = _texts(batches, dataset, _NUMBER_TYPES, _plain_numbers)
    dates = _texts(batches, dataset, _DATE_TYPES, _plain_dates)
    numbers = _unplain(numbers, _number_re(DEFAULT_NUMBERS))
    dates = _unplain(dates, _ISO_DATE)
    if not (len(numbers) or len(dates) or _foreign(words)):
        return Detection(None)  # rule 1, the usual file: every value plain
    if _Evidence(numbers, dates, words).reads_all(None):  # rule 1, on the values left
        return Detection(None)
    numbers = _texts(batches, dataset, _NUMBER_TYPES)
    dates = _texts(batches, dataset, _DATE_TYPES)
    evidence = _Evidence(numbers, dates, words)
    candidates = [loc for loc in LOCALES.values() if evidence.reads_all(loc)]
    if not candidates:
        return Detection(None, _note(evidence.conflicts()))
    first = candidates[0]
    for other in candidates[1:]:
        value = evidence.difference(first, other)
        if value is not None:
            return Detection(None, _note([f"{first.tag} and {other.tag} read {value} differently"]))
    return Detection(first.tag)


def _note(reasons: list[str]) -> str:
    return f"no locale detected: {'; '.join(reasons)}; choose one with the locale field"
