"""What each runtime process checks its database role for at start, and the line it stops
with when the role lacks some of it."""

from __future__ import annotations

from database.privileges import privileges_problem, wanted


def test_the_worker_checks_each_grant_of_roles_py_column_by_column_and_its_dataset_tables() -> None:
    checks = dict(wanted("worker", ["ds_orders"]))
    assert checks["UPDATE (rows_repeated) on bulkflow_chunk_ledger"] == (
        "has_column_privilege('bulkflow_chunk_ledger', 'rows_repeated', 'UPDATE')"
    )
    assert checks["INSERT on bulkflow_chunk_ledger"] == (
        "has_table_privilege('bulkflow_chunk_ledger', 'INSERT')"
    )
    assert "UPDATE on bulkflow_chunk_ledger" not in checks  # only the one column
    assert {"SELECT on ds_orders", "INSERT on ds_orders", "UPDATE on ds_orders"} <= set(checks)
    assert "TEMPORARY on the database" in checks
    assert "USAGE on bulkflow_row_errors_id_seq" in checks


def test_other_roles_check_only_their_own_grants() -> None:
    aggregator = dict(wanted("aggregator", ["ds_orders"]))
    assert "SELECT on bulkflow_chunk_ledger" in aggregator
    assert not [said for said in aggregator if "ds_orders" in said or "TEMPORARY" in said]
    assert "DELETE on bulkflow_idempotency" in dict(wanted("api"))


def test_the_line_names_what_is_missing_and_who_grants_it() -> None:
    assert privileges_problem("bulkflow_worker", "worker", []) is None
    missing = [f"SELECT on t{n}" for n in range(6)]
    line = privileges_problem("bulkflow_worker", "worker", missing)
    assert line == (
        "BULKFLOW_DATABASE_URL: role 'bulkflow_worker' lacks what the worker does: SELECT on t0, "
        "SELECT on t1, SELECT on t2, SELECT on t3 and 2 more; run `bulkflow db grants` as the "
        "migration role (after every upgrade, docs/postgres.md)"
    )
