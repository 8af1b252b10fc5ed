"""What PostgreSQL did in a window, from two readings of its statistics views."""

from __future__ import annotations

from bench.bulk_pgstats import difference, parse_lsn


def snap(at: float, counters: dict[str, int], lsn: str, tables: dict) -> dict:
    return {"at": at, "counters": counters, "wal_lsn": lsn, "tables": tables, "settings": {}}


def table(av: int, aa: int, ins: int) -> dict[str, int]:
    return {"autovacuum_count": av, "autoanalyze_count": aa, "n_tup_ins": ins, "n_tup_upd": 0}


def test_a_wal_position_is_read_as_bytes() -> None:
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848


def test_postgresql_15_checkpoints_wal_and_autovacuum_in_a_window() -> None:
    old = ("checkpoints_timed", "checkpoints_req", "buffers_checkpoint")
    rest = ("buffers_clean", "buffers_backend", "buffers_alloc")
    before = snap(
        100.0,
        dict(zip(old + rest, (3, 1, 500, 0, 20, 900), strict=True)),
        "0/1000000",
        {"ds_orders": table(0, 1, 20), "bulkflow_chunk_ledger": table(0, 0, 1)},
    )
    after = snap(
        131.0,
        dict(zip(old + rest, (3, 3, 9500, 12, 420, 5000), strict=True)),
        "0/3000000",
        {
            "ds_orders": table(1, 2, 500_020),
            "bulkflow_chunk_ledger": table(0, 0, 51),
            "bulkflow_row_errors": table(0, 1, 5000),  # created in the window
        },
    )
    d = difference(before, after)
    assert d["window_s"] == 31.0
    assert (d["checkpoints_timed"], d["checkpoints_requested"]) == (0, 2)
    assert (d["buffers_checkpoint"], d["buffers_bgwriter"], d["buffers_backend"]) == (9000, 12, 400)
    assert d["wal_bytes"] == 0x2000000
    assert (d["autovacuum_runs"], d["autoanalyze_runs"]) == (1, 2)
    assert d["autovacuum_tables"] == {
        "ds_orders": {"autovacuum_count": 1, "autoanalyze_count": 1},
        "bulkflow_row_errors": {"autoanalyze_count": 1},
    }


def test_postgresql_17_reads_the_checkpointer_view() -> None:
    names = ("num_timed", "num_requested", "buffers_written", "buffers_clean", "buffers_alloc")
    before = snap(0.0, dict(zip(names, (1, 0, 10, 0, 5), strict=True)), "1/0", {})
    after = snap(2.0, dict(zip(names, (2, 0, 60, 3, 9), strict=True)), "1/100", {})
    d = difference(before, after)
    assert (d["checkpoints_timed"], d["checkpoints_requested"]) == (1, 0)
    assert (d["buffers_checkpoint"], d["buffers_bgwriter"], d["buffers_backend"]) == (50, 3, None)
    assert d["wal_bytes"] == 256
    assert d["autovacuum_runs"] == d["autoanalyze_runs"] == 0
