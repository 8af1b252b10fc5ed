"""Idempotency keys: (tenant, key) -> job id, in SQL so it survives restarts and is shared
by every API process on one database."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

_metadata = sa.MetaData()
idempotency = sa.Table(
    "bulkflow_idempotency",
    _metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("job_id", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

MAX_KEY_LENGTH = 255


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()


class IdempotencyStore:
    """Blocking calls: run them in a thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            try:
                _metadata.create_all(self.engine, checkfirst=True)
            except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
                # another process created it between the check and CREATE
                _metadata.create_all(self.engine, checkfirst=True)
            self._ready = True

    def get(self, tenant: str, key: str) -> str | None:
        self._ensure()
        query = sa.select(idempotency.c.job_id).where(
            idempotency.c.tenant == tenant, idempotency.c.key == key
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def claim(self, tenant: str, key: str, job_id: str) -> str:
        """Bind the key to ``job_id`` unless it is bound already; the job id it is bound to."""
        self._ensure()
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        row = dict(tenant=tenant, key=key, job_id=job_id, created_at=datetime.now(UTC))
        with self.engine.begin() as conn:
            conn.execute(insert(idempotency).values(row).on_conflict_do_nothing())
            bound = conn.execute(
                sa.select(idempotency.c.job_id).where(
                    idempotency.c.tenant == tenant, idempotency.c.key == key
                )
            ).scalar_one()
        return str(bound)

    def release(self, tenant: str, key: str, job_id: str) -> None:
        """Forget a claim whose upload was not accepted after all."""
        self._ensure()
        with self.engine.begin() as conn:
            conn.execute(
                idempotency.delete().where(
                    idempotency.c.tenant == tenant,
                    idempotency.c.key == key,
                    idempotency.c.job_id == job_id,
                )
            )
