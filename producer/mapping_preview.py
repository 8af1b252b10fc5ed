"""What a person sees when a file's header does not map the dataset's required columns: the
best header candidate among the rows searched, sample values under it, and for each dataset
column a suggested file column. Pure: rows of cell text in, a MappingPreview out.

Suggestions, strongest first: the tenant's saved mapping for the dataset, the column's name
or an alias, a similar name ('Order #' ~ order_id), and sample values that fit a type only
one kind of column holds (dates as any locale writes them, e-mail addresses, booleans in any
locale's words) or a column's pattern, then for a one-column key a header that numbers the
rows ('Nº de pedido') over distinct values. Each file column is suggested for one dataset
column at most.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from difflib import SequenceMatcher

from producer.readers.base import HeaderNotFound, HeadRow
from producer.readers.header_search import required_columns_mapped
from schemas.column_mapping import (
    SAMPLE_CHARS,
    SAMPLE_ROWS,
    ColumnMapping,
    MappingPreview,
    comparable,
    header_signature,
    mapping_problems,
)
from schemas.dataset import Column, Dataset, normalise_header
from schemas.locales import LOCALES, fold_words

SIMILAR_AT_LEAST = 0.6
CONTAINED_SCORE = 0.8  # one name holds the other: 'E-mail address' ~ email
VALUES_SCORE = 0.65  # the samples fit the column's type, and no other kind of column's
_NUMBER_OR_DATE = re.compile(r"^[\s\d.,:/+\-()%$€£TZ]*\d[\s\d.,:/+\-()%$€£TZ]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
# a date as a locale writes it (31.12.2024, 12/31/2024 9:30 PM, 2024. 12. 31.), no time zone
_LOCAL_DATE = re.compile(
    r"^\d{1,4}([./-]) ?\d{1,2}\1 ?\d{1,4}\.?( г\.)?"
    r"(,? \d{1,2}:\d{2}(:\d{2})?( ?[AaPp]\.? ?[Mm]\.?)?)?$"
)
# a header that says its column numbers or names the rows: 'Nº de pedido', 'Bestellnummer',
# 'Order no.', 'Código'; with distinct values under it, the dataset's key
_KEY_MARK = re.compile(
    r"(^|[^\w])(n[º°]|no\.|nr\.?|nro\.?|№|#)|(^|[^\w])(id|num|code|ref|código|codigo|kod|kód"
    r"|číslo|cislo|broj|referen\w*)($|[^\w])|(number|numbers|nummer|numero|número|numéro|numer)\b"
)
# numbers that are no row's key: postal codes, telephone numbers
_NOT_KEY = re.compile(r"post|zip|phone|tel[eé]?f|fax")
KEY_SCORE = 0.62  # below values of a type only one column holds and most similar names
# every reading locale's words for true and false, in any case (not 1 and 0: any number)
_BOOLEAN = frozenset({"true", "false", "yes", "no", "y", "n"}).union(
    *(fold_words((*loc.true_words, *loc.false_words)) for loc in LOCALES.values())
)


def _text(cell: str | None) -> str:
    return "" if cell is None else str(cell).strip()


def _looks_like_data(text: str) -> bool:
    return "@" in text or bool(_NUMBER_OR_DATE.match(text)) or text.casefold() in _BOOLEAN


def header_candidate(rows: Sequence[HeadRow], dataset: Dataset) -> HeadRow | None:
    """The row most like a header: the most required columns named, then the most cells
    holding words rather than numbers, dates or e-mail addresses; the first such row."""
    best: tuple[tuple[int, int], HeadRow] | None = None
    for number, cells in rows:
        texts = [_text(c) for c in cells]
        words = len({t for t in texts if t and not _looks_like_data(t)})
        if not words:
            continue
        score = (len(required_columns_mapped(cells, dataset)), words)
        if best is None or score > best[0]:
            best = (score, (number, cells))
    return None if best is None else best[1]


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if min(len(a), len(b)) >= 3 and (a in b or b in a):
        return CONTAINED_SCORE
    return SequenceMatcher(None, a, b).ratio()


def _fits(column: Column, values: list[str]) -> bool:
    """Whether most sample values look like the column's type, for the types a value tells
    apart on its own (a number could be any of several numeric columns), or match its
    pattern."""
    if not values:
        return False
    if column.type == "email":
        check = _EMAIL.match
    elif column.type in ("date", "datetime"):
        return _most(values, lambda v: bool(_DATE.match(v) or _LOCAL_DATE.match(v)))
    elif column.type == "boolean":
        own = fold_words((*column.true_values, *column.false_values))
        return _most(values, lambda v: v.casefold() in _BOOLEAN or v.casefold() in own)
    elif column.pattern is not None:  # a code of a shape of its own: DE, SKU-0042
        check = re.compile(column.pattern).search
    else:
        return False
    return _most(values, lambda v: bool(check(v)))


def _key_column(dataset: Dataset) -> Column | None:
    """The dataset's key when it is one column."""
    return dataset.column(dataset.key[0]) if len(dataset.key) == 1 else None


def _names_keys(header: str, values: list[str], rows: int, key: Column) -> bool:
    """Whether a file column looks like the key's: a header that numbers or names the rows,
    and a distinct value in every sample row (digits only for a numeric key)."""
    if rows < 2 or len(values) < rows or len(set(values)) < len(values):
        return False
    if key.type == "integer" and not all(v.isdigit() for v in values):
        return False
    folded = header.casefold()
    return bool(_KEY_MARK.search(folded)) and not _NOT_KEY.search(folded)


def _most(values: list[str], fits: Callable[[str], bool]) -> bool:
    return sum(map(fits, values)) >= 0.8 * len(values)


def suggest(
    dataset: Dataset,
    file_columns: Sequence[str],
    samples: Sequence[Sequence[str | None]],
    saved: Sequence[ColumnMapping] = (),
) -> tuple[dict[str, str], dict[str, str]]:
    """(dataset column -> suggested file column, dataset column -> why)."""
    present = {normalise_header(c): c for c in file_columns}
    lookup = dataset.header_lookup
    scored: list[tuple[float, int, str, str, str]] = []  # score, order, column, file column, why
    key = _key_column(dataset)
    for rank, mapping in enumerate(saved):
        for name, header in mapping.items():
            if normalise_header(header) in present:
                scored.append(
                    (3.0 - rank * 0.01, 0, name, present[normalise_header(header)], "saved")
                )
    for order, header in enumerate(file_columns):
        named = lookup.get(normalise_header(header))
        if named is not None:
            scored.append((2.0, order, named, header, "name"))
        values = [_text(row[order]) for row in samples if order < len(row) and _text(row[order])]
        for column in dataset.columns:
            labels = (column.name, *column.aliases)
            similar = max(_similarity(comparable(header), comparable(label)) for label in labels)
            if similar >= SIMILAR_AT_LEAST:
                scored.append((similar, order, column.name, header, "similar"))
            if _fits(column, values):
                scored.append((VALUES_SCORE, order, column.name, header, "values"))
        if key is not None and _names_keys(header, values, len(samples), key):
            scored.append((KEY_SCORE, order, key.name, header, "values"))
    scored.sort(key=lambda s: (-s[0], s[1]))
    suggestions: dict[str, str] = {}
    why: dict[str, str] = {}
    used: set[str] = set()
    known = {c.name for c in dataset.columns}
    for _score, _order, target, header, reason in scored:
        if target in suggestions or header in used or target not in known:
            continue
        suggestions[target] = header
        why[target] = reason
        used.add(header)
    ordered = [c.name for c in dataset.columns if c.name in suggestions]
    return {c: suggestions[c] for c in ordered}, {c: why[c] for c in ordered}


def build_preview(
    error: HeaderNotFound,
    dataset: Dataset,
    saved: Sequence[ColumnMapping] = (),
    expires_at: datetime | None = None,
) -> MappingPreview | None:
    """The preview for a file whose header search failed; None when no row holds words."""
    candidate = header_candidate(error.rows, dataset)
    if candidate is None:
        return None
    number, cells = candidate
    positions = [i for i, cell in enumerate(cells) if _text(cell)]
    file_columns = [_text(cells[i]) for i in positions]
    samples: list[list[str | None]] = []
    for row_number, row in error.rows:
        if row_number <= number or len(samples) >= SAMPLE_ROWS:
            continue
        values = [_text(row[i])[:SAMPLE_CHARS] or None if i < len(row) else None for i in positions]
        if any(values):
            samples.append(values)
    suggestions, why = suggest(dataset, file_columns, samples, saved)
    return MappingPreview(
        reason=str(error),
        sheet=error.sheet,
        header_row=number,
        file_columns=file_columns,
        samples=samples,
        suggestions=suggestions,
        suggested_by=why,
        required=[c.name for c in dataset.columns if c.required],
        expires_at=expires_at,
    )


def exact_saved(
    preview: MappingPreview, dataset: Dataset, saved: dict[str, ColumnMapping]
) -> ColumnMapping | None:
    """The saved mapping (by header signature) made for exactly this header, when it still
    fits the dataset: applied without asking."""
    mapping = saved.get(header_signature(preview.file_columns))
    if mapping is None or mapping_problems(dataset, mapping, preview.file_columns):
        return None
    return mapping
