"""The first row errors of a job, for a page to show (the full list is the CSV report)."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import closing
from itertools import islice
from typing import cast

from sqlalchemy import Engine

from database.reports import iter_row_errors
from schemas.records import RowError


def first_row_errors(
    engine: Engine, job_id: str, tenant: str, limit: int
) -> tuple[list[RowError], bool]:
    """Up to ``limit`` errors by row then column, and whether there are more (blocking)."""
    # closing() ends the streamed query (and gives its connection back) once enough are read
    streamed = cast(Generator[RowError, None, None], iter_row_errors(engine, job_id, tenant))
    with closing(streamed) as errors:
        found = list(islice(errors, limit + 1))
    return found[:limit], len(found) > limit
