"""What a sheet's merged cells mean for its rows, as a warning a person can act on.

A merged range keeps its value in its first (top-left) cell; the sheet shows it across the
range, but every other cell of it is empty in the file. Under a dataset column, such a cell
reads as empty: a country merged down over four orders names the country of the first only.
The ranges are declared after the sheet's cells, so a streamed sheet learns of them once its
rows are sent: the job says which ranges left cells empty instead of filling them in.

Pure: no I/O. Ranges are 0-based ((first_row, first_col), (last_row, last_col)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from producer.readers.xlsx.sheet import column_name

Range = tuple[tuple[int, int], tuple[int, int]]
# ranges named in the warning; the rest are counted
NAMED = 3


def _a1(range_: Range) -> str:
    (r0, c0), (r1, c1) = range_
    return f"{column_name(c0)}{r0 + 1}:{column_name(c1)}{r1 + 1}"


def _emptied(range_: Range, columns: Mapping[int, str], header_row: int) -> list[str]:
    """The dataset columns where ``range_`` leaves a data row's cell empty: any of its cells
    but the first, below the header row (1-based) and under a dataset column."""
    (r0, c0), (r1, c1) = range_
    top = max(r0, header_row)  # 0-based: the first data row of the range
    names = []
    for c in sorted(columns):
        if c0 <= c <= c1 and r1 - top + 1 - (c == c0 and top == r0) > 0:
            names.append(columns[c])
    return names


def merged_cells_warning(
    ranges: Sequence[Range], more: int, columns: Mapping[int, str], header_row: int
) -> str | None:
    """The warning for the merged ranges that leave cells of the data empty, else None.
    ``columns``: sheet column index -> dataset column; ``more``: ranges past ``ranges``
    (which are always counted: each may leave cells empty)."""
    found = [(r, names) for r in ranges if (names := _emptied(r, columns, header_row))]
    if not found:
        return None
    named = [f"{_a1(r)} ({', '.join(names)})" for r, names in found[:NAMED]]
    rest = len(found) - len(named) + more
    listed = ", ".join(named) + (f" and {rest:,} more" if rest else "")
    (r0, c0), (r1, c1) = found[0][0]
    if len(found) == 1 and not more and c0 == c1 and r0 + 1 >= header_row:
        rows = f"row {r1 + 1}" if r1 == r0 + 1 else f"rows {r0 + 2}–{r1 + 1}"
        return (
            f"cells {listed} are merged and hold their value in {column_name(c0)}{r0 + 1} "
            f"only, so {rows} read no {found[0][1][0]}: unmerge the cells, put the value in "
            "each of them, and upload the file again"
        )
    return (
        f"merged cells {listed} hold their value in their first cell only, so their other "
        "cells read as empty: unmerge the cells, put the value in each of them, and upload "
        "the file again"
    )
