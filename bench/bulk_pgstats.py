"""What the PostgreSQL server did during a measured window of the bulk bench: checkpoints
and the buffers they wrote, WAL bytes, and the autovacuum and autoanalyze runs on the run's
database, from the server's statistics views read before and after the window.

``snapshot`` reads the views (``pg_stat_checkpointer`` on PostgreSQL 17 and newer,
``pg_stat_bgwriter`` before); ``difference`` is pure (unit-tested on fixtures).
"""

from __future__ import annotations

import time
from typing import Any

# counters compared before and after, by the view's own names (PostgreSQL 15/16 and 17+)
_BGWRITER_OLD = (
    "checkpoints_timed",
    "checkpoints_req",
    "buffers_checkpoint",
    "buffers_clean",
    "buffers_backend",
    "buffers_alloc",
)
_CHECKPOINTER_17 = ("num_timed", "num_requested", "buffers_written")
_BGWRITER_17 = ("buffers_clean", "buffers_alloc")
_TABLE_COUNTERS = ("autovacuum_count", "autoanalyze_count", "n_tup_ins", "n_tup_upd")


def parse_lsn(lsn: str) -> int:
    """A WAL position as PostgreSQL prints it (``16/B374D848``) in bytes."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def snapshot(libpq_url: str) -> dict[str, Any]:
    """The server's checkpoint, WAL and table counters now, read through the run's database
    (its tables' counters are per database)."""
    import psycopg

    with psycopg.connect(libpq_url, autocommit=True) as conn:
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])  # type: ignore[index]
        if version >= 170000:
            cols = ", ".join(_CHECKPOINTER_17)
            row = conn.execute(f"SELECT {cols} FROM pg_stat_checkpointer").fetchone()
            counters = dict(zip(_CHECKPOINTER_17, row or (), strict=False))
            cols = ", ".join(_BGWRITER_17)
            row = conn.execute(f"SELECT {cols} FROM pg_stat_bgwriter").fetchone()
            counters.update(zip(_BGWRITER_17, row or (), strict=False))
        else:
            cols = ", ".join(_BGWRITER_OLD)
            row = conn.execute(f"SELECT {cols} FROM pg_stat_bgwriter").fetchone()
            counters = dict(zip(_BGWRITER_OLD, row or (), strict=False))
        lsn = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
        cols = ", ".join(_TABLE_COUNTERS)
        tables = {
            name: dict(zip(_TABLE_COUNTERS, rest, strict=True))
            for name, *rest in conn.execute(
                f"SELECT relname, {cols} FROM pg_stat_user_tables"
            ).fetchall()
        }
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                (list(REPORTED_SETTINGS),),
            ).fetchall()
        )
    return {
        "at": time.time(),
        "version": version,
        "counters": {k: int(v) for k, v in counters.items()},
        "wal_lsn": lsn,
        "tables": tables,
        "settings": settings,
    }


# the server settings that decide when checkpoints and autovacuum run, kept with the figures
REPORTED_SETTINGS = (
    "checkpoint_timeout",
    "max_wal_size",
    "shared_buffers",
    "wal_buffers",
    "autovacuum",
    "autovacuum_naptime",
    "autovacuum_vacuum_insert_threshold",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_threshold",
    "autovacuum_analyze_scale_factor",
    "synchronous_commit",
    "fsync",
)


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What happened between two snapshots: checkpoints (timed and requested, the latter
    mostly by WAL filling ``max_wal_size``), buffers written by the checkpointer, the
    background writer and the backends, WAL bytes, and the tables that autovacuum or
    autoanalyze touched with how often."""
    b, a = before["counters"], after["counters"]
    d = {k: a[k] - b.get(k, 0) for k in a}
    if "num_timed" in d:  # PostgreSQL 17+
        timed, requested, written = d["num_timed"], d["num_requested"], d["buffers_written"]
        backend = None
    else:
        timed, requested = d["checkpoints_timed"], d["checkpoints_req"]
        written, backend = d["buffers_checkpoint"], d["buffers_backend"]
    autovacuum: dict[str, dict[str, int]] = {}
    for name, counts in after["tables"].items():
        prev = before["tables"].get(name, {})
        runs = {
            k: counts[k] - prev.get(k, 0)
            for k in ("autovacuum_count", "autoanalyze_count")
            if counts[k] - prev.get(k, 0)
        }
        if runs:
            autovacuum[name] = runs
    return {
        "window_s": round(after["at"] - before["at"], 1),
        "checkpoints_timed": timed,
        "checkpoints_requested": requested,
        "buffers_checkpoint": written,
        "buffers_bgwriter": d.get("buffers_clean"),
        "buffers_backend": backend,
        "wal_bytes": parse_lsn(after["wal_lsn"]) - parse_lsn(before["wal_lsn"]),
        "autovacuum_runs": sum(r.get("autovacuum_count", 0) for r in autovacuum.values()),
        "autoanalyze_runs": sum(r.get("autoanalyze_count", 0) for r in autovacuum.values()),
        "autovacuum_tables": autovacuum,
        "settings": after.get("settings", {}),
    }


def checkpoint(libpq_url: str) -> bool:
    """``CHECKPOINT`` now, so a window starts with no dirty buffers left by the run before it
    (its backends would otherwise write them out inside the window); ``False`` when the
    server refuses it (a role without the privilege on a server the bench did not start)."""
    import psycopg

    try:
        with psycopg.connect(libpq_url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
        return True
    except psycopg.Error:
        return False


def vacuum_others(libpq_url: str) -> float | None:
    """``VACUUM (ANALYZE)`` every other database of the server now; the seconds it took, or
    ``None`` when the server refuses it. The rows of the runs before this one are otherwise
    vacuumed by autovacuum (every insert-heavy table is, a minute or so after its burst)
    inside whichever window comes next: up to 2.6 CPU s of PostgreSQL in one run, none in
    another."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    began = time.monotonic()
    try:
        current = conninfo_to_dict(libpq_url).get("dbname")
        with psycopg.connect(libpq_url, autocommit=True) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
                )
                if row[0] not in (current, "postgres")
            ]
        for name in names:
            with psycopg.connect(make_conninfo(libpq_url, dbname=name), autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
    except psycopg.Error:
        return None
    return round(time.monotonic() - began, 1)


def safe_snapshot(libpq_url: str) -> dict[str, Any] | None:
    """A snapshot, or ``None`` when the server cannot be read (the figures stay optional)."""
    try:
        return snapshot(libpq_url)
    except Exception:
        return None


def safe_difference(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, Any] | None:
    if before is None or after is None:
        return None
    try:
        return difference(before, after)
    except (KeyError, TypeError, ValueError):
        return None
