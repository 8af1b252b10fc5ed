"""Idempotency keys: (tenant, key) -> job id, in SQL so it survives restarts and is shared
by every API process on one database (the table and its queries: database/idempotency.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from database import idempotency as storage
from database.migrations import ensure_schema

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
            ensure_schema(self.engine)  # the shared tables, the idempotency keys among them
            self._ready = True

    def get(self, tenant: str, key: str) -> str | None:
        self._ensure()
        return storage.bound_job(self.engine, tenant, key)

    def claim(self, tenant: str, key: str, job_id: str) -> str:
        """Bind the key to ``job_id`` unless it is bound already; the job id it is bound to."""
        self._ensure()
        return storage.bind_key(self.engine, tenant, key, job_id)

    def release(self, tenant: str, key: str, job_id: str) -> None:
        """Forget a claim whose upload was not accepted after all."""
        self._ensure()
        storage.unbind_key(self.engine, tenant, key, job_id)
