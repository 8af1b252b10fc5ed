"""The cumulative counters the bulk bench reads at the edges of a measured window, and what
changed between the two readings: PostgreSQL's statistics (bench/bulk_pgstats.py), the
broker's GC and the bytes of the run's topics (bench/bulk_broker_stats.py).
"""

from __future__ import annotations

import os
from typing import Any

from bench import bulk_broker_stats, bulk_pgstats


def instruments_now(ctx: Any, url: str, prefix: str | None) -> dict[str, Any]:
    """The counters now: PostgreSQL's statistics of the database at ``url`` and, for a
    bulkflow run (its topic ``prefix``), the broker's GC and the bytes of its topics."""
    from ops.devservers.postgres import libpq_url

    pid = getattr(ctx, "broker_pid", None) if prefix else None
    data_dir = getattr(ctx, "broker_data_dir", None) if prefix else None
    return {
        "postgres": bulk_pgstats.safe_snapshot(libpq_url(url)),
        "broker_gc": bulk_broker_stats.read_gc(pid),
        "topic_bytes": bulk_broker_stats.topic_bytes(data_dir, prefix or ""),
    }


def clean_start(url: str) -> dict[str, Any]:
    """Before a window: the databases of earlier runs vacuumed, so autovacuum does not do
    it inside this one, then a checkpoint, so it starts with no dirty shared buffers. Only
    on a server the bench started: every other database there is one of its runs, while a
    server named by $BULKFLOW_TEST_POSTGRES_URL may hold anyone's."""
    from ops.devservers.postgres import ENV_URL, libpq_url

    server = libpq_url(url)
    vacuumed_s = None if os.environ.get(ENV_URL) else bulk_pgstats.vacuum_others(server)
    return {"vacuumed_s": vacuumed_s, "checkpoint": bulk_pgstats.checkpoint(server)}


def instruments_since(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        "postgres": bulk_pgstats.safe_difference(before["postgres"], after["postgres"]),
        "broker_gc": bulk_broker_stats.gc_difference(before["broker_gc"], after["broker_gc"]),
        "topic_bytes": bulk_broker_stats.bytes_difference(
            before["topic_bytes"], after["topic_bytes"]
        ),
    }
