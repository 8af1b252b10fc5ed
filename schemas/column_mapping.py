"""Column mapping: which column of a file holds each dataset column, when the file's header
names them otherwise ("Order #" for order_id). A person confirms one (the upload page, the
API, ``bulkflow upload --map``); the producer reads the file with it as if the dataset named
those headers; confirmed mappings are saved per tenant and dataset (database/column_mappings.py).

A mapping is ``{dataset column: the file's header text}``. The columns it does not list are
found by their names and aliases, as without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, Field

from schemas.dataset import Dataset, normalise_header
from schemas.errors import DatasetError

ColumnMapping = dict[str, str]
# sample rows shown under the header candidate, and the longest sample cell kept
SAMPLE_ROWS = 5
SAMPLE_CHARS = 80


class MappingPreview(BaseModel):
    """What a person needs to map a file's columns: its best header candidate with sample
    values under it, and a suggested file column for each dataset column."""

    reason: str = Field(description="why the file's header did not map the required columns")
    sheet: str | None = Field(default=None, description="the sheet the candidate is on (workbooks)")
    header_row: int | None = Field(default=None, description="the row of the header candidate")
    file_columns: list[str] = Field(description="the candidate's header cells, in file order")
    samples: list[list[str | None]] = Field(
        default_factory=list, description="the first rows under it, a cell per file column"
    )
    suggestions: dict[str, str] = Field(
        default_factory=dict, description="dataset column -> suggested file column"
    )
    suggested_by: dict[str, str] = Field(
        default_factory=dict,
        description="dataset column -> why: saved (the tenant's saved mapping), name (its "
        "name or an alias), similar (a similar name), values (the sample values fit its type)",
    )
    required: list[str] = Field(
        default_factory=list,
        description="the dataset columns a mapping must name, in the dataset's order",
    )
    expires_at: datetime | None = Field(
        default=None, description="when the paused upload fails unless a mapping is confirmed"
    )


def header_signature(cells: Iterable[str | None]) -> str:
    """A header row as the saved mappings know it: its normalised cells, sorted. Two files
    whose headers hold the same columns in any order have the same signature."""
    names = sorted({normalise_header(str(c).strip()) for c in cells if c and str(c).strip()})
    return "\x1f".join(names)


def mapping_problems(
    dataset: Dataset, mapping: Mapping[str, str], file_columns: Iterable[str] | None = None
) -> list[str]:
    """What is wrong with a mapping for a person to fix: unknown dataset columns, a file
    column used twice or not in the file, required columns left unmapped (when the file's
    columns are known, a required column may also be found by its own name)."""
    problems: list[str] = []
    names = {c.name for c in dataset.columns}
    unknown = sorted(set(mapping) - names)
    if unknown:
        problems.append(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a "
            f"column of {dataset.name}"
        )
    used: dict[str, str] = {}
    for column, header in mapping.items():
        if not header or not str(header).strip():
            problems.append(f"the file column for {column} is empty")
            continue
        key = normalise_header(header)
        if key in used:
            problems.append(
                f"the file column {header!r} is mapped to both {used[key]} and {column}"
            )
        used[key] = column
    if file_columns is not None:
        present = {normalise_header(c) for c in file_columns if c}
        absent = [h for h in mapping.values() if h and normalise_header(h) not in present]
        if absent:
            problems.append(f"the file has no column {', '.join(repr(a) for a in absent)}")
        lookup = dataset.header_lookup
        by_name = {lookup[k] for k in present if k in lookup and k not in used}
        missing = [
            c.name
            for c in dataset.columns
            if c.required and c.name not in mapping and c.name not in by_name
        ]
    else:
        missing = [c.name for c in dataset.columns if c.required and c.name not in mapping]
    if missing:
        problems.append(
            f"map the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )
    return problems


def mapped_dataset(dataset: Dataset, mapping: Mapping[str, str]) -> Dataset:
    """The dataset as the reader sees it with ``mapping``: each mapped column is known by the
    file's header only (its own aliases step aside), and another column's alias that names
    a mapped header steps aside too. Raises DatasetError for a mapping that cannot apply."""
    problems = [p for p in mapping_problems(dataset, mapping) if not p.startswith("map the")]
    if problems:
        raise DatasetError("; ".join(problems))
    taken = {normalise_header(h) for h in mapping.values()}
    columns = []
    for column in dataset.columns:
        if column.name in mapping:
            aliases: tuple[str, ...] = (mapping[column.name],)
        else:
            aliases = tuple(a for a in column.aliases if normalise_header(a) not in taken)
            if normalise_header(column.name) in taken:
                raise DatasetError(
                    f"the file column {column.name!r} is the name of the dataset column "
                    f"{column.name}; map it to {column.name}, or leave it out"
                )
        columns.append(column.model_copy(update={"aliases": aliases}))
    return Dataset.model_validate({**dataset.model_dump(), "columns": columns})


def parse_mapping_pairs(pairs: Iterable[str]) -> ColumnMapping:
    """``["Order #=order_id", ...]`` (the CLI's ``--map``) as a mapping; ValueError names a
    pair without ``=``."""
    mapping: ColumnMapping = {}
    for pair in pairs:
        header, sep, column = pair.rpartition("=")
        if not sep or not header.strip() or not column.strip():
            raise ValueError(f"--map {pair!r} is not 'File header=dataset_column'")
        mapping[column.strip()] = header.strip()
    return mapping


_WORDS = re.compile(r"[^0-9a-z]+")


def comparable(text: str) -> str:
    """A header reduced to letters and digits, for similarity: 'E-mail address' -> 'emailaddress'."""
    return _WORDS.sub("", str(text).casefold())
