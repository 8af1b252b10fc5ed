"""Validated rows and row errors written through the chunk store in one call, as the worker
writes them (prepare_chunk, then save_chunk or write_chunk), for tests that start from a
validated table rather than from a chunk record."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import Connection, Engine

from database import pg_copy
from database.chunk_store import SaveOutcome, prepare_chunk, save_chunk, write_chunk
from schemas.dataset import Dataset
from schemas.records import RowError


def save_validated(
    engine: Engine,
    dataset: Dataset,
    *,
    job_id: str,
    tenant: str,
    chunk_no: int,
    valid: pa.Table,
    errors: list[RowError],
    expect_conflicts: bool = False,
) -> SaveOutcome:
    """One chunk in a transaction of its own."""
    prepared = prepare_chunk(
        engine.dialect.name, dataset, job_id=job_id, tenant=tenant, valid=valid, errors=errors
    )
    return save_chunk(
        engine, dataset, prepared, chunk_no=chunk_no, expect_conflicts=expect_conflicts
    )


def write_validated(
    conn: Connection,
    dataset: Dataset,
    *,
    job_id: str,
    tenant: str,
    chunk_no: int,
    valid: pa.Table,
    errors: list[RowError],
    mode: pg_copy.Mode = "savepoint",
) -> SaveOutcome:
    """One chunk within the caller's transaction."""
    prepared = prepare_chunk(
        conn.dialect.name, dataset, job_id=job_id, tenant=tenant, valid=valid, errors=errors
    )
    return write_chunk(conn, dataset, prepared, chunk_no=chunk_no, mode=mode)
