"""The bench's clean start: the databases of earlier runs vacuumed before a window, so that
autovacuum does not do it inside the window."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from bench.bulk_counters import clean_start
from ops.devservers.postgres import ENV_URL, create_database, libpq_url, start_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        bool(os.environ.get(ENV_URL)), reason="vacuums every other database: a server of its own"
    ),
]


def _table_stats(url: str) -> tuple[int, int, int]:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT vacuum_count, analyze_count, n_ins_since_vacuum FROM pg_stat_user_tables "
            "WHERE relname = 'ds_orders'"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_an_earlier_runs_rows_are_vacuumed_before_the_next_window(tmp_path: Path) -> None:
    server = start_postgres(tmp_path / "pg")
    try:
        base = server.url.rsplit("/", 1)[0]
        for name in ("run_1", "run_2"):
            create_database(f"{base}/postgres", name)
        earlier, current = f"{base}/run_1", f"{base}/run_2"
        with psycopg.connect(libpq_url(earlier), autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE ds_orders AS SELECT g AS id FROM generate_series(1, 50000) g"
            )
        assert _table_stats(earlier) == (0, 0, 50_000)  # autovacuum's to do, a minute on

        cleaned = clean_start(current)

        assert cleaned["checkpoint"] is True
        assert cleaned["vacuumed_s"] is not None and cleaned["vacuumed_s"] >= 0
        assert _table_stats(earlier) == (1, 1, 0)  # nothing left for autovacuum
    finally:
        server.stop()
