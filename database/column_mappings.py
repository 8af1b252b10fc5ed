"""Column mappings in the database: the ones people confirmed (per tenant and dataset, by
header signature) and the uploads paused until someone confirms one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from database.tables import column_mappings, paused_uploads
from schemas.column_mapping import ColumnMapping

SAVED_OFFERED = 20  # the newest saved mappings a preview draws suggestions from


@dataclass(frozen=True)
class SavedMappings:
    """A tenant's saved mappings for one dataset: by header signature, and newest first."""

    by_signature: dict[str, ColumnMapping]
    newest_first: list[ColumnMapping]


@dataclass(frozen=True)
class PausedUpload:
    job_id: str
    tenant: str
    dataset: str
    upload: str  # the UploadRecord, JSON
    file_columns: list[str]
    expires_at: datetime


def _insert(engine: Engine) -> Any:
    return pg_insert if engine.dialect.name == "postgresql" else sqlite_insert


def saved_mappings(engine: Engine, tenant: str, dataset: str) -> SavedMappings:
    query = (
        sa.select(column_mappings.c.signature, column_mappings.c.mapping)
        .where(column_mappings.c.tenant == tenant, column_mappings.c.dataset == dataset)
        .order_by(column_mappings.c.saved_at.desc())
        .limit(SAVED_OFFERED)
    )
    with engine.connect() as conn:
        rows = [(str(sig), json.loads(text)) for sig, text in conn.execute(query)]
    return SavedMappings(dict(rows), [mapping for _, mapping in rows])


def save_mapping(
    engine: Engine, tenant: str, dataset: str, signature: str, mapping: ColumnMapping
) -> None:
    """Save (or replace) the tenant's mapping for files with this header."""
    row = dict(
        tenant=tenant,
        dataset=dataset,
        signature=signature,
        mapping=json.dumps(mapping, sort_keys=True),
        saved_at=datetime.now(UTC),
    )
    statement = _insert(engine)(column_mappings).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant", "dataset", "signature"],
        set_={"mapping": statement.excluded.mapping, "saved_at": statement.excluded.saved_at},
    )
    with engine.begin() as conn:
        conn.execute(statement)


def park_upload(
    engine: Engine,
    *,
    job_id: str,
    tenant: str,
    dataset: str,
    upload: str,
    file_columns: list[str],
    expires_at: datetime,
) -> None:
    """Keep a paused upload's record until a mapping is confirmed (a re-parse after a crash
    parks it again: the same row)."""
    row = dict(
        job_id=job_id,
        tenant=tenant,
        dataset=dataset,
        upload=upload,
        file_columns=json.dumps(file_columns),
        paused_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    statement = _insert(engine)(paused_uploads).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=["job_id"],
        set_={k: statement.excluded[k] for k in ("upload", "file_columns", "expires_at")},
    )
    with engine.begin() as conn:
        conn.execute(statement)


def _paused(row: Any) -> PausedUpload:
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return PausedUpload(
        job_id=row.job_id,
        tenant=row.tenant,
        dataset=row.dataset,
        upload=row.upload,
        file_columns=list(json.loads(row.file_columns)),
        expires_at=expires,
    )


def paused_upload(engine: Engine, job_id: str, tenant: str) -> PausedUpload | None:
    query = sa.select(paused_uploads).where(
        paused_uploads.c.job_id == job_id, paused_uploads.c.tenant == tenant
    )
    with engine.connect() as conn:
        row = conn.execute(query).one_or_none()
    return None if row is None else _paused(row)


def release_paused(engine: Engine, job_id: str) -> bool:
    """Take a paused upload out (confirmed or expired); False when another process did."""
    with engine.begin() as conn:
        done = conn.execute(paused_uploads.delete().where(paused_uploads.c.job_id == job_id))
    return done.rowcount == 1


def restore_paused(engine: Engine, paused: PausedUpload) -> None:
    """Put back a paused upload taken out by a confirmation that could not finish, so it can
    be confirmed again or expire; a row already there (the producer parked it again) stays."""
    row = dict(
        job_id=paused.job_id,
        tenant=paused.tenant,
        dataset=paused.dataset,
        upload=paused.upload,
        file_columns=json.dumps(paused.file_columns),
        paused_at=datetime.now(UTC),
        expires_at=paused.expires_at,
    )
    with engine.begin() as conn:
        conn.execute(_insert(engine)(paused_uploads).values(row).on_conflict_do_nothing())


def expired_paused(engine: Engine, now: datetime, limit: int = 100) -> list[PausedUpload]:
    query = (
        sa.select(paused_uploads)
        .where(paused_uploads.c.expires_at < now)
        .order_by(paused_uploads.c.expires_at)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_paused(row) for row in conn.execute(query)]
