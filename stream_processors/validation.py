"""Validate one chunk batch against its dataset: typed valid rows plus row errors.

Pure: no Kafka, no database. Every column takes a vectorised fast path (a regex kernel picks
the values in the common, well-formed shape and one cast converts them all); only the values
that path rejects are parsed one by one in Python (``converters``), which is where the edge
cases and the messages for people live. Clean data therefore never leaves Arrow. Cell text is
read by the chunk's reading locale (schemas/locales.py); number cells (typed, or marked in a
text column) mean the same in every locale, and are shown as it writes numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.arrow_codec import ROW_COLUMN
from schemas.arrow_types import arrow_type
from schemas.dataset import NUMBER_TYPES, Column, Dataset
from schemas.money import mixed_currencies
from schemas.records import RowError
from stream_processors import converters as conv
from stream_processors.column_plans import ColumnPlan, plans_for
from stream_processors.not_data_rows import merge_not_data_rows
from stream_processors.sheet_errors import error_cells, error_message, is_error, shown_problem
from stream_processors.text_columns import (
    EMAIL_RE,
    INVISIBLE,
    NULL_STRING,
    booleans,
    clean,
    normalise_numbers,
    temporal,
    with_marks,
)
from stream_processors.typed_cells import convert_typed, is_text, shown, shown_cells, written

MISSING = "required value is missing"
NUL_SHOWN = "\u2400"
_SHOWN = {0: NUL_SHOWN} | {ord(c): f"<U+{ord(c):04X}>" for c in INVISIBLE}


@dataclass(frozen=True)
class ValidationResult:
    valid: pa.Table
    errors: list[RowError]
    rows_ok: int
    rows_failed: int
    # each invalid row whole, as the file gave it: (row number, column -> cell text)
    invalid_rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)


def output_schema(dataset: Dataset) -> pa.Schema:
    """The schema of ``ValidationResult.valid``: typed dataset columns, then the row number."""
    return pa.schema(
        [pa.field(c.name, arrow_type(c)) for c in dataset.columns] + [(ROW_COLUMN, pa.int64())]
    )


def _visible(text: str) -> str:
    """A row error's text with each NUL character as ␀ (U+2400): PostgreSQL's text cannot
    hold NUL (the chunk's write would fail whole), and a person cannot see one; nor an
    INVISIBLE character, written as <U+200B>."""
    return text.translate(_SHOWN)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _indices(mask: pa.Array) -> list[int]:
    """Positions where ``mask`` is true; most masks are all false, and cheap to see so."""
    if isinstance(mask, pa.BooleanArray) and mask.true_count == 0:
        return []
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()


def _convert(plan: ColumnPlan, text: pa.Array, problems: list[tuple[int, str]]) -> pa.Array:
    """``text`` as ``plan.type``; failures become null and land in ``problems``."""
    kind = plan.column.type
    if kind == "string":  # no parse to fail: a spreadsheet error would pass as text
        errored = error_cells(text)
        if errored is None:
            return text
        problems.extend((i, error_message(text[i].as_py())) for i in _indices(errored))
        return pc.if_else(errored, NULL_STRING, text)  # nor is it checked by the rules
    if kind == "email":
        bad = pc.invert(pc.match_substring_regex(text, EMAIL_RE))
        for i in _indices(bad):
            value = text[i].as_py()
            message = f"{conv.quote(value)} is not a valid email address"
            problems.append((i, error_message(value) if is_error(value) else message))
        return text
    if kind == "boolean":
        assert plan.true_words is not None and plan.false_words is not None
        typed = booleans(text, plan.true_words, plan.false_words)
    elif kind in ("date", "datetime"):
        typed = temporal(kind, plan.rules, text)
    elif kind == "integer" and (cast := _integers(text)) is not None:
        return _slow_path(plan, text, *cast, problems)
    else:
        typed = _numbers(plan, text)
    # a value the fast path left (say 2024-02-30, or 1,234.5 grouped) is parsed slowly
    slow = pc.and_(pc.is_valid(text), pc.is_null(typed))
    typed = _slow_path(plan, text, typed, slow, problems)
    if kind in ("decimal", "float"):  # '$5' and '€5' both read 5: not in one column
        read = pc.and_(slow, pc.is_valid(typed))
        problems.extend(mixed_currencies(with_marks(text, read)))
    return typed


def _integers(text: pa.Array) -> tuple[pa.Array, pa.Array] | None:
    """Clean integer columns need no regex: one cast, then the values to parse slowly
    ("007", "-0" or "0x1F" cast too, but only an exact round trip is taken as it is)."""
    try:
        typed = pc.cast(text, pa.int64())
    except pa.ArrowInvalid:
        return None
    return typed, pc.fill_null(pc.not_equal(pc.cast(typed, pa.string()), text), False)


def _numbers(plan: ColumnPlan, text: pa.Array) -> pa.Array:
    assert plan.fast_re is not None
    fast = pc.fill_null(pc.match_substring_regex(text, plan.fast_re), False)
    candidates = pc.if_else(fast, text, NULL_STRING)
    if plan.rules.local_numbers:
        candidates = normalise_numbers(candidates, plan.rules.numbers)
    return pc.cast(candidates, plan.type)


def _slow_path(
    plan: ColumnPlan,
    text: pa.Array,
    typed: pa.Array,
    slow: pa.Array,
    problems: list[tuple[int, str]],
) -> pa.Array:
    indices = _indices(slow)
    if not indices:
        return typed
    assert plan.parse is not None
    values = []
    for i in indices:
        try:
            values.append(plan.parse(text[i].as_py()))
        except conv.ConversionError as exc:
            values.append(None)
            value = text[i].as_py()
            problems.append((i, shown_problem(value) or str(exc)))
    replacements = pa.array(values, plan.type)
    return pc.replace_with_mask(typed, pc.fill_null(slow, False), replacements)


def _check_rules(plan: ColumnPlan, typed: pa.Array) -> list[tuple[pa.Array, str]]:
    """(failing mask, message) per rule; a null value fails no rule."""
    col = plan.column
    checks: list[tuple[pa.Array, str]] = []
    if col.type in NUMBER_TYPES:
        numbers = pc.cast(typed, pa.float64()) if col.type == "decimal" else typed
        if col.min is not None:
            checks.append((pc.less(numbers, col.min), f"must be at least {_number(col.min)}"))
        if col.max is not None:
            checks.append((pc.greater(numbers, col.max), f"must be at most {_number(col.max)}"))
    if col.type in ("string", "email"):
        # PostgreSQL text cannot hold NUL: one such cell would fail the chunk's whole write
        if _may_hold_nul(typed):
            nul = pc.match_substring(typed, "\x00")
            checks.append((nul, "contains a NUL character, which cannot be stored"))
        if col.max_length is not None:
            too_long = pc.greater(pc.utf8_length(typed), col.max_length)
            checks.append((too_long, f"must be at most {col.max_length} characters"))
        if col.pattern is not None:
            if plan.re2_pattern is not None:
                bad = pc.invert(pc.match_substring_regex(typed, plan.re2_pattern))
            else:
                assert plan.py_pattern is not None
                pattern = plan.py_pattern
                bad = pa.array(
                    [v is not None and not pattern.fullmatch(v) for v in typed.to_pylist()]
                )
            checks.append((bad, _pattern_message(col)))
    if plan.enum_values is not None:
        assert col.enum is not None
        outside = pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed, plan.enum_values)))
        checks.append((outside, f"must be one of: {', '.join(col.enum)}"))
    return checks


def _pattern_message(column: Column) -> str:
    """A person reads the dataset's words for a pattern when it has them, not the regex."""
    if column.pattern_description:
        return f"must be {column.pattern_description}"
    return f"must match {column.pattern}"


def _may_hold_nul(text: pa.Array) -> bool:
    """A NUL byte anywhere in the text's data buffer: one pass over raw bytes, ~50x cheaper
    than the per-value search, which then confirms it (the buffer may reach beyond a slice)."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return True  # no byte buffer to scan: let the per-value search decide
    data = text.buffers()[2]
    return data is not None and data.size > 0 and not np.all(np.frombuffer(data, np.uint8))


def _canonical_enum(plan: ColumnPlan, typed: pa.Array) -> pa.Array:
    """Enum text matched case-insensitively is stored as the dataset spells it."""
    if not plan.enum_canonical:
        return typed
    off = _indices(pc.invert(pc.is_in(typed, plan.enum_values)))
    fixes = {i: plan.enum_canonical.get(typed[i].as_py().casefold()) for i in off}
    fixes = {i: v for i, v in fixes.items() if v is not None}
    if not fixes:
        return typed
    mask = pc.is_in(pa.array(range(len(typed)), pa.int64()), pa.array(list(fixes), pa.int64()))
    return pc.replace_with_mask(typed, mask, pa.array(list(fixes.values()), pa.string()))


def validate_batch(
    batch: pa.RecordBatch, dataset: Dataset, locale: str | None = None
) -> ValidationResult:
    """Type and check every row of ``batch``; a row with any error is left out of ``valid``.

    ``locale``: the tag text cells are read by (None: no locale). A number cell (of a typed
    column, or marked in a text one) is the same number in any locale, shown as the locale
    writes numbers. Raises LocaleError for a tag no locale has."""
    if ROW_COLUMN not in batch.schema.names:
        raise ValueError(f"chunk batch has no {ROW_COLUMN} column")
    n = batch.num_rows
    rows = pc.cast(batch.column(ROW_COLUMN), pa.int64())
    typed_columns: list[pa.Array] = []
    found: list[tuple[int, int, str]] = []  # (batch index, column position, message)
    plans = plans_for(dataset, locale)
    plain = plans_for(dataset, None) if locale else plans
    cells: dict[str, tuple[pa.Array, str]] = {}  # name -> (its cells, the decimal they show)
    for pos, plan in enumerate(plans):
        name = plan.column.name
        if name not in batch.schema.names:
            if plan.column.required:
                found.extend((i, pos, MISSING) for i in range(n))
            typed_columns.append(pa.nulls(n, plan.type))
            continue
        problems: list[tuple[int, str]] = []
        number = plan.column.type in NUMBER_TYPES
        decimal = plan.rules.numbers.decimal if number else "."
        raw = written(batch, name, decimal)
        cells[name] = (raw, decimal)
        if is_text(raw.type) or plan.parse is None or plan.column.type == "email":
            text = clean(raw)
            converted = _convert(plan, text, problems)
        else:  # a typed column: the cells the spreadsheet held as numbers, dates, booleans
            text = raw
            parse = (plan if number else plain[pos]).parse
            assert parse is not None
            kind, target = plan.column.type, plan.type
            converted = convert_typed(kind, target, raw, parse, problems, plan.int_digits, decimal)
        if plan.column.required:
            found.extend((i, pos, MISSING) for i in _indices(pc.is_null(text)))
        typed = _canonical_enum(plan, converted)
        found.extend((i, pos, message) for i, message in problems)
        for mask, message in _check_rules(plan, typed):
            found.extend((i, pos, message) for i in _indices(mask))
        typed_columns.append(typed)

    table = pa.Table.from_arrays([*typed_columns, rows], schema=output_schema(dataset))
    if not found:
        return ValidationResult(valid=table, errors=[], rows_ok=n, rows_failed=0)
    found.sort(key=lambda f: (f[0], f[1]))
    names = [c.name for c in dataset.columns]

    def cell(name: str, i: int) -> str | None:
        text = shown(*cells[name], i) if name in cells else None
        return None if text is None else _visible(text)

    errors = [
        RowError(
            row=rows[i].as_py(),
            column=names[pos],
            value=cell(names[pos], i),
            message=_visible(m),  # a message may quote the value
        )
        for i, pos, m in found
    ]
    bad = pa.array(sorted({i for i, _, _ in found}), pa.int64())
    bad_rows = rows.take(bad)
    # row numbers are unique within a chunk, so they pick out the failed rows
    keep = pc.invert(pc.is_in(rows, bad_rows))
    taken = [shown_cells(*cells[name], bad) for name in cells]
    invalid = [
        (row_no, dict(zip(cells, row, strict=True)))
        for row_no, *row in zip(bad_rows.to_pylist(), *taken, strict=True)
    ]
    errors = merge_not_data_rows(errors, dataset.header_lookup, invalid, MISSING)
    return ValidationResult(
        valid=table.filter(keep),
        errors=errors,
        rows_ok=n - len(bad),
        rows_failed=len(bad),
        invalid_rows=invalid,
    )
