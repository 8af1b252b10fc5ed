"""Engines with bulkflow's connection settings, for SQLite and PostgreSQL URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from files.private import touch_private
from schemas.errors import DatasetError

SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with bulkflow's settings; ``pool_pre_ping=False`` saves a round trip per
    checkout where the caller retries a dropped connection anyway (the chunk workers)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_pre_ping", True)
        # No server-side prepared statements (psycopg prepares a query after its 5th run):
        # behind a transaction pooler (PgBouncer) the next transaction may run in another
        # server session, which lacks them. They saved no measurable CPU here: a chunk runs
        # a few statements for thousands of rows (python -m bench pooler).
        kwargs["connect_args"] = {"prepare_threshold": None, **kwargs.get("connect_args", {})}
        return sa.create_engine(parsed, **kwargs)
    raise DatasetError(f"unsupported database URL {parsed.render_as_string()!r}")


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        touch_private(path)  # tenants' rows: owner-only, and so are its -wal and -shm
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        # WAL lets readers (status, error reports) run while a worker writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    return engine
