"""The evidence locale detection decides on (producer/locale_detect.py): which sampled
values each number format, date order and locale reads, and where two locales read a value
differently. Pure pyarrow compute over the distinct values of a sample.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from files.text_encoding import locale_code_page
from schemas.locales import DEFAULT_NUMBERS, FALSE_WORDS, LOCALES, TRUE_WORDS, Locale, NumberFormat

# the marks a locale's dates may end in (the '.' of 2024. 12. 31., the ' г.' of 31.12.2024 г.)
_DATE_ENDS = "|".join(
    sorted({loc.date_end.replace(".", r"\.") for loc in LOCALES.values() if loc.date_end})
)
# a date of any order: its separator ('. ' spaced, as hu-HU, sk-SK and hr-HR write it) and
# the mark it may end in
_DATE_SHAPE = (
    r"^(?P<a>\d{1,4})(?P<s>\. ?|[/-])(?P<b>\d{1,2})(?P<t>\. ?|[/-])(?P<c>\d{1,4})"
    rf"(?P<e>{_DATE_ENDS})?(?:$|[ T])"
)


def number_re(numbers: NumberFormat) -> str:
    esc = {".": r"\.", "'": r"\'"}
    dec = esc.get(numbers.decimal, numbers.decimal)
    grouped = "|".join(rf"(?:{esc.get(g, g)}\d{{3}})+" for g in numbers.groups)
    lakh = ""
    if numbers.lakh:  # 12,34,567: the last three digits, then pairs
        g = esc.get(numbers.groups[0], numbers.groups[0])
        lakh = rf"|\d{{1,2}}(?:{g}\d{{2}})+{g}\d{{3}}(?:{dec}\d*)?"
    return rf"^[+-]?(?:\d+(?:{dec}\d*)?|{dec}\d+|\d{{1,3}}(?:{grouped})(?:{dec}\d*)?{lakh})$"


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


class Evidence:
    """Which sampled values each number format, date order and locale reads."""

    def __init__(
        self,
        numbers: pa.Array,
        dates: pa.Array,
        words: pa.Array,
        misread_as: str | None = None,
    ) -> None:
        """``misread_as``: the code page a text file was read in for want of evidence, in
        which a locale's words may read as their own code page's bytes (known_words)."""
        self.numbers = numbers
        formats = {DEFAULT_NUMBERS, *(loc.numbers for loc in LOCALES.values())}
        # each pattern runs on the few distinct shapes (1.234,56 and 9.876,54 are one)
        shapes = _shapes(numbers)
        distinct = pc.unique(shapes)
        at = pc.index_in(shapes, distinct)
        self.number_ok = {
            f: pc.take(pc.match_substring_regex(distinct, number_re(f)), at) for f in formats
        }
        self.number_any = _any(list(self.number_ok.values()), len(numbers))
        self.dates = dates
        self.misread_as = misread_as
        self.words = foreign(words, misread_as)
        self._read_cache: dict[tuple[str, bool, str], pa.Array] = {}

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
    def _marked(self) -> tuple[pa.Array, pa.Array]:
        """(spaced, end mark) of each date: only a locale that writes them reads them."""
        spaced = pc.fill_null(pc.match_substring(self._parts["s"], " "), False)
        return spaced, pc.fill_null(self._parts["e"], "")

    @cached_property
    def iso(self) -> pa.Array:
        """Year first (2024-01-31, 2024/1/31): read without a locale too, and by every one."""
        spaced, end = self._marked
        return _all(self.date_ok["YMD"], pc.invert(spaced), pc.equal(end, ""))

    @cached_property
    def year_first_separators(self) -> frozenset[str]:
        """The separators of the sample's year-first dates other than ISO's '-' (the '/' of
        2024/12/31): how some locales write their dates, where ISO is everyone's."""
        if not len(self.dates):
            return frozenset()
        year_first = pc.fill_null(self.date_ok["YMD"], False)
        seps = pc.unique(pc.drop_null(pc.filter(self._parts["s"], year_first))).to_pylist()
        return frozenset(s.strip() for s in seps if s.strip() not in ("", "-"))

    def _read_by(self, loc: Locale) -> pa.Array:
        """The dates ``loc`` reads: its order, spaced only if it spaces its dates, and
        without a mark or with its own."""
        key = (loc.date_order, ". " in loc.date_seps, loc.date_end)
        if key not in self._read_cache:
            spaced, end = self._marked
            ok = self.date_ok[loc.date_order]
            if not key[1]:
                ok = pc.and_(ok, pc.invert(spaced))
            own_end = pc.is_in(end, pa.array(["", loc.date_end]))
            self._read_cache[key] = pc.or_(_all(ok, own_end), self.iso)
        return self._read_cache[key]

    @cached_property
    def date_any(self) -> pa.Array:
        return _any(list(self.date_ok.values()), len(self.dates))

    def numbers_read(self, numbers: NumberFormat) -> bool:
        return not _count(pc.and_(self.number_any, pc.invert(self.number_ok[numbers])))

    def dates_read(self, loc: Locale | None) -> bool:
        if not len(self.dates):
            return True
        ok = self.iso if loc is None else self._read_by(loc)
        return not _count(pc.and_(self.date_any, pc.invert(ok)))

    def reads_all(self, loc: Locale | None) -> bool:
        if loc is None:
            return self.numbers_read(DEFAULT_NUMBERS) and self.dates_read(None) and not self.words
        known = known_words(loc.tag, self.misread_as)
        return (
            self.numbers_read(loc.numbers)
            and self.dates_read(loc)
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


def foreign(words: pa.Array, misread_as: str | None = None) -> list[str]:
    """The words some locale reads and the reading without one does not."""
    plain = TRUE_WORDS | FALSE_WORDS
    return [w for w in words.to_pylist() if w not in plain and _speakers(w, misread_as)]


def _speakers(word: str, misread_as: str | None) -> bool:
    return any(word in known_words(tag, misread_as) for tag in LOCALES)


@lru_cache(maxsize=256)
def known_words(tag: str, misread_as: str | None = None) -> frozenset[str]:
    """The locale's true and false words, lower case; with ``misread_as``, the code page a
    text file was read in by default, also as they read when its language's own page was
    read so ('doğru' of Windows-1254 reads 'doðru' in Windows-1252): the words then tell
    the locale, whose page the file is read in again (producer/reading.py)."""
    loc = LOCALES[tag]
    known = loc.words(True) | loc.words(False)
    page = locale_code_page(tag)
    if misread_as is None or page is None:
        return known
    written = [form for word in (*loc.true_words, *loc.false_words) for form in _cases(word)]
    return known | {w for w in (_misread(form, page, misread_as) for form in written) if w}


def _cases(word: str) -> tuple[str, ...]:
    return (word, word.upper(), word.capitalize())


def _misread(word: str, page: str, read_as: str) -> str | None:
    try:
        return word.encode(page).decode(read_as).lower()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
