"""Storage of idempotency keys: (tenant, key) -> job id and the request's fingerprint, shared
by every API process. A key older than its time to live counts as unused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from database.tables import idempotency


@dataclass(frozen=True)
class Binding:
    job_id: str
    fingerprint: str
    created_at: datetime


def bound(engine: Engine, tenant: str, key: str, ttl: timedelta, now: datetime) -> Binding | None:
    """The key's live binding at ``now``, if any (an expired one is None)."""
    with engine.connect() as conn:
        row = conn.execute(_binding_of(tenant, key)).one_or_none()
    found = None if row is None else Binding(str(row[0]), str(row[1]), row[2])
    return found if found is not None and not _expired(found, ttl, now) else None


def bind_key(
    engine: Engine,
    tenant: str,
    key: str,
    job_id: str,
    fingerprint: str,
    ttl: timedelta,
    now: datetime,
) -> Binding:
    """Bind the key to ``job_id`` at ``now`` unless a live binding exists; the binding that
    holds."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    row = dict(tenant=tenant, key=key, job_id=job_id, fingerprint=fingerprint, created_at=now)
    where = (idempotency.c.tenant == tenant, idempotency.c.key == key)
    with engine.begin() as conn:
        conn.execute(insert(idempotency).values(row).on_conflict_do_nothing())
        # an expired binding is taken over: the key may be used again after its lifetime
        conn.execute(
            idempotency.update()
            .where(*where, idempotency.c.created_at < now - ttl)
            .values(job_id=job_id, fingerprint=fingerprint, created_at=now)
        )
        found = conn.execute(_binding_of(tenant, key)).one()
    return Binding(str(found[0]), str(found[1]), found[2])


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


def _expired(binding: Binding, ttl: timedelta, now: datetime) -> bool:
    created = binding.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created < now - ttl


def _binding_of(tenant: str, key: str) -> sa.Select[Any]:
    return sa.select(
        idempotency.c.job_id, idempotency.c.fingerprint, idempotency.c.created_at
    ).where(idempotency.c.tenant == tenant, idempotency.c.key == key)
