"""Idempotency keys on SQLite: bound to a fingerprint, expiring, and forward-migrated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from api.idempotency import IdempotencyStore, fingerprint
from database.engine import make_engine


def test_a_key_is_bound_to_its_first_request_until_it_expires(tmp_path: Path) -> None:
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store = IdempotencyStore(engine, ttl_s=600, clock=lambda: now[0])
    a = fingerprint("orders", None, "aa")
    assert store.get("acme", "k") is None
    assert store.claim("acme", "k", "job-1", a).job_id == "job-1"
    held = store.claim("acme", "k", "job-2", fingerprint("orders", None, "bb"))
    assert (held.job_id, held.fingerprint) == ("job-1", a)  # the first request keeps the key
    assert store.claim("globex", "k", "job-3", a).job_id == "job-3"  # per tenant
    now[0] += timedelta(seconds=599)
    assert store.get("acme", "k") is not None  # still alive just before its lifetime ends
    now[0] += timedelta(seconds=2)
    assert store.get("acme", "k") is None
    assert store.claim("acme", "k", "job-4", a).job_id == "job-4"  # taken over after expiry


def test_the_fingerprint_covers_dataset_sheet_and_file() -> None:
    base = fingerprint("orders", None, "aa")
    assert base == fingerprint("orders", "", "aa")
    assert len({base, fingerprint("orders", "S", "aa"), fingerprint("o2", None, "aa")}) == 3
    assert base != fingerprint("orders", None, "ab")


def test_a_database_from_before_fingerprints_gains_the_column(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE bulkflow_idempotency (tenant TEXT, key TEXT, job_id TEXT NOT NULL, "
            "created_at TIMESTAMP NOT NULL, PRIMARY KEY (tenant, key))"
        )
        conn.exec_driver_sql(
            "INSERT INTO bulkflow_idempotency VALUES ('acme', 'old', 'job-0', "
            "'2999-01-01 00:00:00.000000')"
        )
    store = IdempotencyStore(engine, ttl_s=3600)
    legacy = store.get("acme", "old")
    assert legacy is not None and (legacy.job_id, legacy.fingerprint) == ("job-0", "")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("bulkflow_idempotency")}
    assert "fingerprint" in columns
