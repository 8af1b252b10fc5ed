"""Validated rows and row errors written through the chunk store in one call, as the worker
writes them (prepare_chunk, then save_chunk or write_chunk), for tests that start from a
validated table rather than from a chunk record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from database import pg_copy
from database.chunk_store import SaveOutcome, prepare_chunk, save_chunk, write_chunk
from schemas.dataset import Dataset


def save_validated(
    engine: Engine,
    dataset: Dataset,
    *,
    chunk_no: int,
    expect_conflicts: bool = False,
    **validated: Any,
) -> SaveOutcome:
    """One chunk in a transaction of its own; ``validated``: job_id, tenant, valid, errors."""
    prepared = prepare_chunk(engine.dialect.name, dataset, **validated)
    return save_chunk(
        engine, dataset, prepared, chunk_no=chunk_no, expect_conflicts=expect_conflicts
    )


def write_validated(
    conn: Connection,
    dataset: Dataset,
    *,
    chunk_no: int,
    mode: pg_copy.Mode = "savepoint",
    **validated: Any,
) -> SaveOutcome:
    """One chunk within the caller's transaction; ``validated``: job_id, tenant, valid,
    errors."""
    prepared = prepare_chunk(conn.dialect.name, dataset, **validated)
    return write_chunk(conn, dataset, prepared, chunk_no=chunk_no, mode=mode)
