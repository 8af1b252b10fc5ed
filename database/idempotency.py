"""Storage of idempotency keys: (tenant, key) -> job id, shared by every API process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from database.tables import idempotency


def bound_job(engine: Engine, tenant: str, key: str) -> str | None:
    """The job id the key is bound to, if any."""
    with engine.connect() as conn:
        bound = conn.execute(_job_of(tenant, key)).scalar_one_or_none()
    return None if bound is None else str(bound)


def bind_key(engine: Engine, tenant: str, key: str, job_id: str) -> str:
    """Bind the key to ``job_id`` unless it is bound already; the job id it is bound to."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    row = dict(tenant=tenant, key=key, job_id=job_id, created_at=datetime.now(UTC))
    with engine.begin() as conn:
        conn.execute(insert(idempotency).values(row).on_conflict_do_nothing())
        bound = conn.execute(_job_of(tenant, key)).scalar_one()
    return str(bound)


def unbind_key(engine: Engine, tenant: str, key: str, job_id: str) -> None:
    """Remove the key's binding, if it is still bound to ``job_id``."""
    with engine.begin() as conn:
        conn.execute(
            idempotency.delete().where(
                idempotency.c.tenant == tenant,
                idempotency.c.key == key,
                idempotency.c.job_id == job_id,
            )
        )


def _job_of(tenant: str, key: str) -> sa.Select[Any]:
    return sa.select(idempotency.c.job_id).where(
        idempotency.c.tenant == tenant, idempotency.c.key == key
    )
