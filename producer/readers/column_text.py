"""Cell text of whole Arrow columns, by the per-cell rules of cell_text.py: what the
sheet readers put in a chunk for cells that go as text.

Pure pyarrow compute, column by column; Python touches only the rare cells the vectorised
rules cannot decide (see each function). The XLSX reader (xlsx/struct_cells.py) and the
calamine formats' sheet table (calamine_table.py) both render with these, so a value reads
the same whatever format it came in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from producer.readers.cell_text import (
    CALAMINE_DATETIME,
    EXACT_INT,
    FIXED_POINT_MAX,
    NANO,
    TIMEDELTA_MAX_MS,
    format_duration,
    format_float,
    format_text,
)

_NANO = pa.scalar(NANO, pa.int64())
_FIXED = pa.scalar(FIXED_POINT_MAX, pa.float64())
_EXACT = pa.scalar(float(EXACT_INT), pa.float64())
# a number cell with a fraction as text (3.01, as a sheet shows it without a locale)
_FRACTION = r"^-?\d+\.\d+$"
# byte lengths of 'true', 'false' and of CALAMINE_DATETIME's matches (no, 1 to 3 decimals)
_CALAMINE_LENGTHS = pa.array([4, 5, 19, 21, 22, 23], pa.int32())


def replace_rows(text: pa.Array, rows: pa.Array, values: Sequence[str | None]) -> pa.Array:
    """``text`` with the cells at ``rows`` (ascending) replaced by ``values``."""
    mask = np.zeros(len(text), dtype=bool)
    mask[rows.to_numpy(zero_copy_only=False)] = True
    return pc.replace_with_mask(text, pa.array(mask), pa.array(values, pa.string()))


def shows_fraction(text: pa.Array, among: pa.Array | None = None) -> bool:
    """Whether a cell of ``text`` (where ``among`` is true) shows a number with a fraction:
    a text column of a number type carries marks of its number cells only then
    (arrow_codec.NUMBER_CELLS_PREFIX), since a whole number reads alike in every locale."""
    if among is not None:  # the pattern on those cells only: a text column has few or none
        text = pc.filter(text, among)
    return bool(pc.any(pc.match_substring_regex(text, _FRACTION)).as_py())


def float_text(array: pa.Array) -> pa.Array:
    """text.format_float for a whole column: integers cast, fractions in fixed point
    (x * 1e9 as an int64), what fixed point cannot hold through Python."""
    magnitude = pc.abs(array)
    integral = pc.and_(pc.equal(pc.floor(array), array), pc.less(magnitude, _EXACT))
    integral = pc.fill_null(integral, True)  # nulls stay null whichever branch they take
    ints = pc.cast(pc.cast(pc.if_else(integral, array, 0.0), pa.int64()), pa.string())
    if pc.all(integral).as_py():  # ids, quantities: the usual case for whole columns
        return pc.if_else(pc.is_null(array), pa.scalar(None, pa.string()), ints)
    fixed = pc.if_else(pc.less(magnitude, _FIXED), magnitude, 0.0)
    nanos = pc.cast(pc.round(pc.multiply(fixed, 1e9)), pa.int64())
    whole = pc.divide(nanos, _NANO)
    fraction = pc.subtract(nanos, pc.multiply(whole, _NANO))
    decimals = pc.utf8_rtrim(pc.utf8_lpad(pc.cast(fraction, pa.string()), 9, "0"), "0")
    point = pc.if_else(pc.equal(fraction, 0), "", ".")
    text = pc.binary_join_element_wise(pc.cast(whole, pa.string()), point, decimals, "")
    negative = pc.and_(pc.less(array, 0.0), pc.not_equal(nanos, 0))
    text = pc.if_else(negative, pc.binary_join_element_wise("-", text, ""), text)
    text = pc.if_else(integral, ints, text)
    rare = pc.and_(pc.invert(integral), pc.fill_null(pc.greater_equal(magnitude, _FIXED), False))
    if pc.any(rare).as_py():
        rows = pc.indices_nonzero(rare)
        values = [format_float(v) for v in pc.take(array, rows).to_pylist()]
        text = replace_rows(text, rows, values)
    return text


def timestamp_text(array: pa.Array) -> pa.Array:
    # Arrow prints timestamp[ms] as 'YYYY-MM-DD HH:MM:SS.mmm'; the parts are cut from that
    # (strftime is ten times slower)
    if array.type != pa.timestamp("ms"):
        array = pc.cast(array, pa.timestamp("ms"), safe=False)
    printed = pc.cast(array, pa.string())
    whole_second = pc.equal(pc.millisecond(array), 0)
    iso = pc.utf8_replace_slice(printed, 10, 11, "T")
    text = pc.if_else(whole_second, pc.utf8_slice_codeunits(iso, 0, 19), iso)
    # calamine cannot tell a date from a midnight datetime: print the date
    midnight = pc.equal(pc.floor_temporal(array, unit="day"), array)
    text = pc.if_else(midnight, pc.utf8_slice_codeunits(printed, 0, 10), text)
    early = pc.fill_null(pc.less(pc.year(array), 1900), False)
    if pc.any(early).as_py():  # Excel keeps a bare time of day as a datetime on day 0
        clock = pc.if_else(
            whole_second,
            pc.utf8_slice_codeunits(printed, 11, 19),
            pc.utf8_slice_codeunits(printed, 11, 23),
        )
        text = pc.if_else(early, clock, text)
    return text


def string_text(array: pa.Array) -> pa.Array:
    blank = pc.or_(pc.equal(array, ""), pc.utf8_is_space(array))
    if pc.any(blank).as_py():
        array = pc.if_else(blank, pa.scalar(None, pa.string()), array)
    # dates and bools among text come out of calamine in its own spelling; rare, so the
    # vectorised tests are the usual cost and Python fixes the few hits. The length test
    # is a tenth of the regex's cost and leaves it only the rows that could match
    candidates = pc.indices_nonzero(pc.is_in(pc.binary_length(array), _CALAMINE_LENGTHS))
    if len(candidates) == 0:
        return array
    sample = pc.take(array, candidates)
    odd = pc.or_(
        pc.is_in(sample, pa.array(["true", "false"])),
        pc.match_substring_regex(sample, CALAMINE_DATETIME.pattern),
    )
    rows = pc.filter(candidates, pc.fill_null(odd, False))
    if len(rows) == 0:
        return array
    values = [format_text(v) for v in pc.take(array, rows).to_pylist()]
    return replace_rows(array, rows, values)


def duration_text(millis: pa.Array) -> pa.Array:
    """Durations ([h]:mm:ss cells), in milliseconds, as text; beyond what a timedelta holds,
    openpyxl's '#VALUE!'. Rare enough to go through Python cell by cell."""
    texts = [
        None
        if ms is None
        else format_duration(dt.timedelta(milliseconds=ms))
        if abs(ms) < TIMEDELTA_MAX_MS
        else "#VALUE!"
        for ms in millis.to_pylist()
    ]
    return pa.array(texts, pa.string())


def typed_column_text(array: pa.Array) -> pa.Array:
    """Cell text of one typed Arrow column (as fastexcel types a sheet column), by the rules
    of cell_text.cell_text."""
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return string_text(pc.cast(array, pa.string()))
    if pa.types.is_floating(kind):
        return float_text(array)
    if pa.types.is_integer(kind):
        return pc.cast(array, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "TRUE", "FALSE")
    if pa.types.is_timestamp(kind):
        return timestamp_text(array)
    if pa.types.is_date(kind):
        return pc.strftime(array, "%Y-%m-%d")
    if pa.types.is_duration(kind):
        return duration_text(pc.cast(pc.cast(array, pa.duration("ms")), pa.int64()))
    return pa.nulls(len(array), pa.string())  # an all-empty column
