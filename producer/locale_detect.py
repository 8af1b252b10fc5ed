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
3. When the candidates read the sample alike, the one whose language's own letters the
   text cells hold most wins ('Łódź': pl-PL, producer/locale_letters.py), else the first of
   the table; when two read a value differently (01/02/2024: en-US month-first, en-GB
   day-first), or none is left, no locale is detected and ``note`` says why.

Vectorised: quick tests set aside the plain cells (digits with one point, ISO dates, plain
words), the patterns run on the few distinct values left, and the rules on the whole sample
only when those are not plain; the number formats are matched on the distinct shapes of the
numbers (digits as 0), not on every distinct number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from producer.locale_evidence import Evidence, foreign, number_re
from producer.locale_letters import by_letters
from schemas.arrow_codec import number_cells_column
from schemas.dataset import Dataset
from schemas.locales import DEFAULT_NUMBERS, FALSE_WORDS, LOCALES, TRUE_WORDS, Locale
from schemas.money import AMOUNT_NUMBER, AMOUNT_RE2, MINUS_SIGN, NOT_A_NUMBER_CHARACTER

DETECT_ROWS = 10_000
_NUMBER_TYPES = {"integer", "decimal", "float"}
_DATE_TYPES = {"date", "datetime"}
_BOOL_TYPES = {"boolean"}
# Past this many distinct values left by the quick tests (a file written in a locale),
# rule 1 is decided on the whole sample's evidence, which the other rules need anyway.
FEW_LEFT = 1_000


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


def _texts(pieces: list[pa.Array], plain: Callable[[pa.Array], pa.Array] | None = None) -> pa.Array:
    """The distinct trimmed, non-empty values of ``pieces`` (``_cells``); with ``plain``,
    without the cells it passes."""
    if plain is not None:
        pieces = [pc.filter(cells, pc.invert(plain(cells))) for cells in pieces]
    if not pieces:
        return pa.array([], pa.string())
    text = pc.utf8_trim_whitespace(pa.concat_arrays(pieces))
    text = pc.filter(text, pc.fill_null(pc.not_equal(text, ""), False))
    return pc.unique(text)


# The values a reading without a locale reads (numbers with a decimal point and no grouping;
# ISO dates: the iso mask of Evidence as one pattern, month 01-12, day 01-31) never count
# against rule 1, so rule 1 is checked on the others only: a few values of most files.
_ISO_DATE = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:$|[ T])"
_WORDS = pa.array(sorted(TRUE_WORDS | FALSE_WORDS), pa.string())


def _unplain(values: pa.Array, pattern: str) -> pa.Array:
    """The values ``pattern`` does not match that could still be a number or a date: every
    number format and date shape has a digit, so 'many' or 'TBD' is no evidence."""
    left = pc.filter(values, pc.invert(pc.match_substring_regex(values, pattern)))
    return pc.filter(left, pc.match_substring_regex(left, "[0-9]"))


def amount_numbers(values: pa.Array) -> pa.Array:
    """Amounts written with a currency ('1.234,50 €') as their numbers, which tell the
    locale as well as bare ones. AMOUNT_RE2 changes only a value with a digit and either
    a character no bare number holds (a currency, a parenthesis, a percent sign) or a
    closing minus, so it runs only when one is there: RE2 compiles its 1,300 characters
    anew on each call, 0.7 ms, where a file's numbers are mostly bare."""
    values = pc.replace_substring(values, MINUS_SIGN, "-")
    marked = pc.or_(
        pc.match_substring_regex(values, NOT_A_NUMBER_CHARACTER), pc.ends_with(values, "-")
    )
    if not pc.any(pc.and_(marked, pc.match_substring_regex(values, "[0-9]"))).as_py():
        return values
    return pc.replace_substring_regex(values, AMOUNT_RE2, AMOUNT_NUMBER)


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


def detect_locale(
    batches: Sequence[pa.RecordBatch], dataset: Dataset, misread_as: str | None = None
) -> Detection:
    """The locale the sample's text is written in, when it says so unambiguously.
    ``misread_as``: the code page a text file was read in for want of evidence (Evidence)."""
    number_cells = _cells(batches, dataset, _NUMBER_TYPES)
    date_cells = _cells(batches, dataset, _DATE_TYPES)
    words = pc.utf8_lower(_texts(_cells(batches, dataset, _BOOL_TYPES), _plain_words))
    numbers = amount_numbers(_texts(number_cells, _plain_numbers))
    dates = _texts(date_cells, _plain_dates)
    if len(numbers) + len(dates) <= FEW_LEFT:  # the usual file: rule 1 on the values left
        numbers = _unplain(numbers, number_re(DEFAULT_NUMBERS))
        dates = _unplain(dates, _ISO_DATE)
        if not (len(numbers) or len(dates) or foreign(words, misread_as)):
            return Detection(None)
        if Evidence(numbers, dates, words, misread_as).reads_all(None):
            return Detection(None)
    numbers = amount_numbers(_texts(number_cells))
    dates = _texts(date_cells)
    evidence = Evidence(numbers, dates, words, misread_as)
    if evidence.reads_all(None):  # rule 1 on the whole sample, as on the values left
        return Detection(None)
    candidates = [loc for loc in LOCALES.values() if evidence.reads_all(loc)]
    if not candidates:
        return Detection(None, _note(evidence.conflicts()))
    # the locales that write the sample's year-first dates so (en-ZA's 2024/12/31) go first:
    # every day-first locale reads them, but the file is more likely one of theirs
    seps = evidence.year_first_separators
    if seps:
        candidates.sort(key=lambda loc: not _writes_year_first(loc, seps))
    first = candidates[0]
    for other in candidates[1:]:
        value = evidence.difference(first, other)
        if value is not None:
            return Detection(None, _note([f"{first.tag} and {other.tag} read {value} differently"]))
    return Detection(by_letters(candidates, batches).tag)


def _note(reasons: list[str]) -> str:
    return f"no locale detected: {'; '.join(reasons)}; choose one with the locale field"


def _writes_year_first(loc: Locale, seps: frozenset[str]) -> bool:
    """Whether ``loc`` writes year-first dates with its usual separator, the one of ``seps``."""
    return loc.date_order == "YMD" and seps == {loc.date_seps[0].strip()}
