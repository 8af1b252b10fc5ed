"""Validation of typed chunk columns: numbers, booleans, dates and timestamps a spreadsheet
already held as such, converted to the dataset column's type without a text round trip.

Same style as the text path in validation.py: one vectorised step takes the values in the
usual shape; only the rest are turned into text (``converters.typed_text``) and parsed one by
one, so a typed cell meets exactly the rules and messages its text would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.arrow_codec import number_cells_column
from schemas.arrow_types import UTC_MICROS
from stream_processors import converters as conv

# int64's range as floats: 2**63 itself is the first float beyond it
_INT64_LIMIT = float(2**63)
# a decimal of at most 15 significant digits is exactly the shortest repr of its float
_EXACT_DIGITS = 15


def is_text(kind: pa.DataType) -> bool:
    """Text (or nothing at all): the columns validation parses as cell text."""
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)


def shown(column: pa.Array, decimal: str, i: int) -> str | None:
    """The cell at ``i`` as messages and row errors show it; a typed number with the decimal
    separator ``decimal`` (the reading locale's, in a number column)."""
    try:
        value = column[i].as_py()
    except (ValueError, OverflowError):  # a timestamp beyond Python's datetime
        return str(column[i])
    return _shown_value(value, decimal)


def _shown_value(value: Any, decimal: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    text = conv.typed_text(value)
    return text.replace(".", decimal) if isinstance(value, float) else text


def written(batch: pa.RecordBatch, name: str, decimal: str) -> pa.Array:
    """Column ``name`` of the chunk, its number cells (marked, arrow_codec.NUMBER_CELLS_PREFIX)
    written with the decimal separator ``decimal``: 3.01 as 3,01 under a decimal comma, so
    that the locale reads them as the numbers they are, and a person sees them as a sheet
    shows them there. The number cells of a sheet hold no grouping, only a point."""
    column = batch.column(name)
    marks = number_cells_column(name)
    if decimal == "." or batch.schema.get_field_index(marks) < 0:
        return column
    return pc.if_else(batch.column(marks), pc.replace_substring(column, ".", decimal), column)


def shown_cells(column: pa.Array, decimal: str, indices: pa.Array) -> list[str | None]:
    """The cells at ``indices`` as ``shown`` shows each, taken and converted at once."""
    taken = column.take(indices)
    try:
        values = taken.to_pylist()
    except (ValueError, OverflowError):  # a timestamp beyond Python's datetime
        return [shown(taken, decimal, i) for i in range(len(taken))]
    return [_shown_value(v, decimal) for v in values]


def _numbers(column: pa.Array) -> pa.Array | None:
    kind = column.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        return pc.cast(column, pa.float64())
    return None


def _integer(column: pa.Array, target: pa.DataType) -> pa.Array | None:
    if pa.types.is_integer(column.type):
        try:
            return pc.cast(column, target)
        except pa.ArrowInvalid:  # uint64 beyond int64: the slow path names it
            return None
    if not pa.types.is_floating(column.type):
        return None
    whole = pc.and_(
        pc.equal(pc.floor(column), column), pc.less(pc.abs(column), _INT64_LIMIT)
    )  # NaN and inf are never whole
    return pc.cast(pc.if_else(whole, column, pa.scalar(None, column.type)), target)


def _float(column: pa.Array, target: pa.DataType) -> pa.Array | None:
    numbers = _numbers(column)
    if numbers is None:
        return None
    return pc.if_else(pc.is_finite(numbers), numbers, pa.scalar(None, pa.float64()))


def _decimal(column: pa.Array, target: pa.DataType, int_digits: int) -> pa.Array | None:
    numbers = _numbers(column)
    if numbers is None:
        return None
    # x has at most ``scale`` decimals when x * 10**scale, rounded, divided back gives x
    # (2.675 does not); below 10**15 both sides are exact, so this is the shortest repr's
    # test. Arrow's own float-to-decimal cast rounds silently, and is four times slower.
    digits = min(int_digits, _EXACT_DIGITS - target.scale)
    if digits < 1:
        return None
    factor = float(10**target.scale)
    fits = pc.fill_null(pc.less(pc.abs(numbers), float(10**digits)), False)
    scaled = pc.round(pc.multiply(pc.if_else(fits, numbers, 0.0), factor))
    exact = pc.fill_null(pc.and_(fits, pc.equal(pc.divide(scaled, factor), numbers)), False)
    units = pc.cast(scaled, pa.int64()).to_numpy(zero_copy_only=False)
    # decimal128 is the unscaled integer in 16 little-endian bytes: low word, sign word
    words = np.empty((len(units), 2), dtype=np.int64)
    words[:, 0] = units
    words[:, 1] = units >> 63
    validity = exact.buffers()[1] if exact.offset == 0 else None
    if validity is None:  # a sliced mask: its bitmap does not start at bit 0
        exact = pa.concat_arrays([exact])
        validity = exact.buffers()[1]
    return pa.Array.from_buffers(target, len(units), [validity, pa.py_buffer(words)], -1)


def _boolean(column: pa.Array, target: pa.DataType) -> pa.Array | None:
    return column if pa.types.is_boolean(column.type) else None


def _naive_micros(column: pa.Array) -> pa.Array | None:
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.tz is None:
        return pc.cast(column, pa.timestamp("us"))
    if pa.types.is_date(kind):
        return pc.cast(pc.cast(column, pa.date32()), pa.timestamp("us"))
    return None


def _date(column: pa.Array, target: pa.DataType) -> pa.Array | None:
    if pa.types.is_date(column.type):
        return pc.cast(column, target)
    stamps = _naive_micros(column)
    if stamps is None:
        return None
    # a date cell is a timestamp at midnight; any other time of day is not a date
    midnight = pc.equal(pc.floor_temporal(stamps, unit="day"), stamps)
    return pc.cast(pc.if_else(midnight, stamps, pa.scalar(None, stamps.type)), target)


def _datetime(column: pa.Array, target: pa.DataType) -> pa.Array | None:
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        return pc.cast(column, UTC_MICROS)
    stamps = _naive_micros(column)
    return None if stamps is None else pc.cast(stamps, UTC_MICROS)  # naive values are UTC


_FAST: dict[str, Callable[[pa.Array, pa.DataType], pa.Array | None]] = {
    "integer": _integer,
    "float": _float,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
}


def convert_typed(
    kind: str,
    target: pa.DataType,
    column: pa.Array,
    parse: Callable[[str], Any],
    problems: list[tuple[int, str]],
    int_digits: int = 0,
    decimal: str = ".",
) -> pa.Array:
    """``column`` (not text) as ``target``; failures become null and land in ``problems``.

    ``kind`` is the dataset column type, ``parse`` its text parser, which reads a number
    shown with ``decimal``."""
    if kind == "decimal":
        fast = _decimal(column, target, int_digits)
    else:
        fast = _FAST[kind](column, target)
    if fast is None:  # a kind of cell the column never holds: every value the slow way
        fast = pa.nulls(len(column), target)
    slow = pc.and_(pc.is_valid(column), pc.is_null(fast))
    if not pc.any(slow).as_py():
        return fast
    values = []
    for i in pc.indices_nonzero(slow).to_pylist():
        text = shown(column, decimal, i)
        assert text is not None
        try:
            values.append(parse(text))
        except conv.ConversionError as exc:
            values.append(None)
            problems.append((i, str(exc)))
    return pc.replace_with_mask(fast, slow, pa.array(values, target))
