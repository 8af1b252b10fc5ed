"""Map a file's header row onto a dataset's columns; shared by every reader."""

from __future__ import annotations

from collections.abc import Sequence

from producer.readers.base import HeaderMapping, HeaderNotFound, ReaderLimits
from schemas.dataset import Dataset, normalise_header
from schemas.errors import ParseError, ParseErrorKind

# enough of the found headers to recognise the file, without flooding a status page
_MAX_LISTED = 20


def listing(cells: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in cells[:_MAX_LISTED])
    if len(cells) > _MAX_LISTED:
        shown += f", ... ({len(cells)} in all)"
    return shown or "no headers"


def map_headers(
    header_cells: Sequence[str | None],
    dataset: Dataset,
    limits: ReaderLimits | None = None,
    *,
    sheet: str | None = None,
    header_row: int | None = None,
) -> HeaderMapping:
    """Match header cells to dataset columns by name or alias, case- and space-insensitively.

    Raises ParseError for too many columns or a column named twice, HeaderNotFound for a
    missing required one (a format without a header row, Parquet or JSON Lines, meets it
    here rather than in the header search).
    """
    limits = limits or ReaderLimits()
    # trailing blank cells are common in exported sheets and are not real columns
    width = len(header_cells)
    while width and (header_cells[width - 1] is None or not str(header_cells[width - 1]).strip()):
        width -= 1
    if width > limits.max_columns:
        raise ParseError(
            f"the header row has {width} columns, more than the limit of {limits.max_columns}",
            kind=ParseErrorKind.TOO_LARGE,
        )
    lookup = dataset.header_lookup
    found: dict[str, int] = {}
    unknown: list[str] = []
    seen_unknown: set[str] = set()
    texts: list[str] = []
    for index, cell in enumerate(header_cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue  # blank header cells carry no meaning; their column is ignored
        texts.append(text)
        name = lookup.get(normalise_header(text))
        if name is None:
            if text not in seen_unknown:
                seen_unknown.add(text)
                unknown.append(text)
            continue
        if name in found:
            first = str(header_cells[found[name]]).strip()
            raise ParseError(
                f"columns {first!r} and {text!r} both name the dataset column {name!r}; "
                "keep only one of them",
                kind=ParseErrorKind.DUPLICATE_COLUMNS,
            )
        found[name] = index
    missing = [c.name for c in dataset.columns if c.required and c.name not in found]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        names = ", ".join(repr(m) for m in missing)
        raise HeaderNotFound(
            f"missing required {noun} {names} (found: {listing(texts)})",
            sheet=sheet,
            rows=[(header_row or 1, list(header_cells))],
        )
    columns = {found[c.name]: c.name for c in dataset.columns if c.name in found}
    headers = {name: str(header_cells[index]).strip() for index, name in columns.items()}
    return HeaderMapping(
        columns=columns,
        unknown_columns=unknown,
        headers=headers,
        sheet=sheet,
        header_row=header_row,
    )
