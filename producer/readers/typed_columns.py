"""Which fastexcel columns reach the chunk as typed cells rather than text.

A column whose cells are all numbers, all booleans or all dates (fastexcel types a column
only when every cell agrees) goes as it is, float64, bool or timestamp, when its dataset
column wants that kind of value: the worker then converts it without parsing any text. Text
columns, mixed columns and every column of a string or email field go as cell text.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# dataset column types that take typed cells, by the Arrow kinds they take
_TAKES: dict[str, tuple[str, ...]] = {
    "integer": ("number",),
    "decimal": ("number",),
    "float": ("number",),
    "boolean": ("boolean",),
    "date": ("temporal", "number"),
    "datetime": ("temporal", "number"),
}


def _kind(kind: pa.DataType) -> str | None:
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        return "number"
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "temporal"
    return None  # strings, durations, all-empty columns


def typed_column(array: pa.Array, column_type: str) -> pa.Array | None:
    """``array`` as it goes into the chunk for a dataset column of ``column_type``, or None
    when it must go as cell text."""
    kind = _kind(array.type)
    if kind is None or kind not in _TAKES.get(column_type, ()):
        return None
    if pa.types.is_timestamp(array.type):
        early = pc.fill_null(pc.less(pc.year(array), 1900), False)
        if pc.any(early).as_py():
            return None  # bare times of day (Excel's day 0): their text says what they are
    return array
