"""Idempotency keys as the HTTP Idempotency-Key draft has them: a key is bound to the job it
created and to a fingerprint of its request (dataset, sheet, the file's SHA-256). The same key
with the same request answers with that job; with a different request it is an error; after
its lifetime (BULKFLOW_IDEMPOTENCY_TTL_S, default 24 h) the key may be used afresh. Stored in
SQL (database/idempotency.py), so it survives restarts and every API process shares it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from database import idempotency as storage
from database.idempotency import Binding
from database.migrations import ensure_schema

MAX_KEY_LENGTH = 255


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()


def fingerprint(dataset: str, sheet: str | None, file_sha256: str, *options: str) -> str:
    """What makes two uploads the same request (``options``: the column mapping and the job
    corrected, when the upload has them)."""
    parts = "\x1f".join((dataset, sheet or "", file_sha256, *filter(None, options)))
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


class IdempotencyStore:
    """Blocking calls: run them in a thread. ``clock`` tells the time keys expire by."""

    def __init__(
        self, engine: Engine, ttl_s: float, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.engine = engine
        self.ttl = timedelta(seconds=ttl_s)
        self.clock = clock
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            ensure_schema(self.engine)  # the shared tables, the idempotency keys among them
            self._ready = True

    def get(self, tenant: str, key: str) -> Binding | None:
        self._ensure()
        return storage.bound(self.engine, tenant, key, self.ttl, self.clock())

    def claim(self, tenant: str, key: str, job_id: str, request_fingerprint: str) -> Binding:
        """Bind the key to ``job_id`` unless a live binding exists; the binding that holds."""
        self._ensure()
        return storage.bind_key(
            self.engine, tenant, key, job_id, request_fingerprint, self.ttl, self.clock()
        )

    def release(self, tenant: str, key: str, job_id: str) -> None:
        """Forget a claim whose upload was not accepted after all."""
        self._ensure()
        storage.unbind_key(self.engine, tenant, key, job_id)
