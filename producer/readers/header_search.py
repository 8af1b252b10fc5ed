"""Find the table: the header row in a sheet's head and, when no sheet is named, the sheet.

Pure functions over rows of cell text, so the XLSX paths, the calamine formats (.xls, .xlsb,
.ods) and CSV share one rule: the header is the first row, within the first
``HEADER_SEARCH_ROWS`` rows, that maps every required column of the dataset (by name or
alias, case- and space-insensitively). Title rows, notes and blank rows above it are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from producer.readers.base import HeaderNotFound
from producer.readers.headers import listing
from schemas.dataset import Dataset, normalise_header
from schemas.errors import ParseError, ParseErrorKind

HEADER_SEARCH_ROWS = 50
SHEET_HINT = "the `sheet` form field, or --sheet in the CLI"
# a row as the search sees it: its 1-based row number in the sheet, its cells by column
SheetRow = tuple[int, Sequence[str | None]]


@dataclass(frozen=True)
class HeaderSearch:
    """What the search of one sheet's head came to."""

    where: str  # "sheet 'Orders'" or "the file", for reasons
    required: tuple[str, ...]
    header: SheetRow | None = None  # the header row, when one maps every required column
    closest: SheetRow | None = None  # else the row that maps the most required columns
    closest_maps: tuple[str, ...] = ()
    empty: bool = True  # no row of the head holds any text
    sheet: str | None = None  # the sheet searched (workbooks)
    rows: tuple[SheetRow, ...] = ()  # the rows read, when no header was found

    @property
    def found(self) -> bool:
        return self.header is not None

    def reason(self) -> str:
        """Why no header was found, for a person."""
        if self.empty:
            place = self.where if self.where.startswith("the ") else f"the {self.where}"
            return f"{place} is empty: it has no header row"
        required = ", ".join(self.required)
        text = (
            f"no header row in the first {HEADER_SEARCH_ROWS} rows of {self.where} maps the "
            f"required columns {required}"
        )
        if self.closest is None or not self.closest_maps:
            first = (
                ""
                if self.closest is None
                else f" (row {self.closest[0]} holds {_held(self.closest[1])})"
            )
            return f"{text}; no row there names any of them{first}"
        lacks = ", ".join(c for c in self.required if c not in self.closest_maps)
        maps = ", ".join(self.closest_maps)
        return f"{text}; the closest is row {self.closest[0]} ({maps}), which lacks {lacks}"

    def error(self) -> ParseError:
        if self.empty:
            return ParseError(self.reason(), kind=ParseErrorKind.EMPTY)
        return HeaderNotFound(self.reason(), sheet=self.sheet, rows=self.rows)


def _held(cells: Sequence[str | None]) -> str:
    return listing([str(c).strip() for c in cells if c is not None and str(c).strip()])


def _has_text(cells: Sequence[str | None]) -> bool:
    return any(cell is not None and str(cell).strip() for cell in cells)


def required_columns_mapped(cells: Sequence[str | None], dataset: Dataset) -> tuple[str, ...]:
    """The dataset's required columns that these header cells name, in dataset order."""
    lookup = dataset.header_lookup
    named = {lookup.get(normalise_header(str(c).strip())) for c in cells if c is not None}
    return tuple(c.name for c in dataset.columns if c.required and c.name in named)


def search_header(
    rows: Iterable[SheetRow], dataset: Dataset, where: str, sheet: str | None = None
) -> HeaderSearch:
    """The first row numbered up to HEADER_SEARCH_ROWS that maps every required column.

    Reads ``rows`` only until that row (or the row limit): pass a lazy iterable to stop early.
    """
    required = tuple(c.name for c in dataset.columns if c.required)
    closest: SheetRow | None = None
    closest_maps: tuple[str, ...] = ()
    empty = True
    read: list[SheetRow] = []
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        read.append((number, cells))
        if not _has_text(cells):
            continue
        empty = False
        maps = required_columns_mapped(cells, dataset)
        if len(maps) == len(required):
            return HeaderSearch(where, required, header=(number, cells), empty=False, sheet=sheet)
        if closest is None or len(maps) > len(closest_maps):
            closest, closest_maps = (number, cells), maps
    return HeaderSearch(
        where,
        required,
        closest=closest,
        closest_maps=closest_maps,
        empty=empty,
        sheet=sheet,
        rows=tuple(read),
    )


def sheet_place(sheet: str) -> str:
    return f"sheet {sheet!r}"


def choose_sheet(
    sheets: Sequence[str], search: Callable[[str], HeaderSearch]
) -> tuple[str, HeaderSearch]:
    """The first sheet whose head holds a header row for the dataset, with its search.

    ``search`` is called for one sheet after another, so later sheets are never read when
    an earlier one fits. Raises ParseError listing the sheets when none does."""
    searches = []
    for name in sheets:
        found = search(name)
        if found.found:
            return name, found
        searches.append(found)
    if len(searches) == 1:
        raise searches[0].error()
    listed = ", ".join(repr(s) for s in sheets)
    required = ", ".join(searches[0].required) if searches else ""
    reason = (
        f"no sheet has a header row (in its first {HEADER_SEARCH_ROWS} rows) that maps the "
        f"required columns {required}; the workbook's sheets are: {listed}. "
        f"Name the sheet to read with {SHEET_HINT}"
    )
    best = max(searches, key=lambda s: len(s.closest_maps), default=None)
    if best is not None and best.closest is not None and best.closest_maps:
        lacks = ", ".join(c for c in best.required if c not in best.closest_maps)
        reason += (
            f"; the closest is row {best.closest[0]} of {best.where} "
            f"({', '.join(best.closest_maps)}), which lacks {lacks}"
        )
    # the rows a person maps: the closest sheet's, else the first sheet that holds any text
    shown = best if best is not None and best.closest_maps else None
    shown = shown or next((s for s in searches if not s.empty), None)
    if shown is None:
        raise ParseError(reason, kind=ParseErrorKind.MISSING_COLUMNS)
    raise HeaderNotFound(reason, sheet=shown.sheet, rows=shown.rows)
