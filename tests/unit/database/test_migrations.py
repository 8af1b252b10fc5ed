"""Dataset tables evolve at start: new columns are added, changes that lose data refused.

The cases run here on SQLite; tests/integration/test_migrations_postgres.py runs the same
functions against PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from database.engine import make_engine
from database.migrations import applied_versions, ensure_schema
from database.tables import dataset_table
from schemas.arrow_codec import ROW_COLUMN
from schemas.arrow_types import arrow_type
from schemas.dataset import Dataset, parse_dataset
from schemas.errors import ConfigError
from tests.support.chunk_store import save_validated

BASE_COLUMNS: list[dict[str, Any]] = [
    {"name": "order_id", "type": "integer", "required": True},
    {"name": "amount", "type": "decimal", "scale": 2},
]


def orders(*extra: dict[str, Any], key: tuple[str, ...] = ("order_id",), **changes: Any) -> Dataset:
    columns = [dict(c, **changes.get(c["name"], {})) for c in BASE_COLUMNS]
    return parse_dataset({"name": "orders", "key": list(key), "columns": [*columns, *extra]})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'bulkflow.sqlite'}")
    yield eng
    eng.dispose()


def save(engine: Engine, dataset: Dataset, job: str, rows: list[dict[str, Any]]) -> None:
    data = {ROW_COLUMN: pa.array([i + 2 for i in range(len(rows))], pa.int64())}
    for col in dataset.columns:
        data[col.name] = pa.array([r.get(col.name) for r in rows], arrow_type(col))
    save_validated(
        engine, dataset, job_id=job, tenant="acme", chunk_no=0, valid=pa.table(data), errors=[]
    )


def stored(engine: Engine, dataset: Dataset, *columns: str) -> list[tuple[Any, ...]]:
    table = dataset_table(dataset)
    query = sa.select(*(table.c[c] for c in columns)).order_by(table.c.order_id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def table_columns(engine: Engine) -> list[str]:
    return [c["name"] for c in sa.inspect(engine).get_columns("ds_orders")]


def versions(engine: Engine) -> list[int]:
    return [version for version, _spec in applied_versions(engine, "orders")]


def test_fresh_create_makes_the_table_and_records_version_1(engine: Engine) -> None:
    ensure_schema(engine, orders())
    ensure_schema(engine, orders())  # a second start changes nothing

    assert table_columns(engine) == ["job_id", "row_no", "tenant", "order_id", "amount"]
    assert versions(engine) == [1]


def test_added_column_old_rows_keep_null_new_uploads_fill_it(engine: Engine) -> None:
    ensure_schema(engine, orders())
    save(engine, orders(), "job-1", [{"order_id": 1}])

    wider = orders({"name": "note", "type": "string"})
    ensure_schema(engine, wider)
    save(engine, wider, "job-2", [{"order_id": 2, "note": "gift wrap"}])

    assert "note" in table_columns(engine)
    assert stored(engine, wider, "order_id", "note") == [(1, None), (2, "gift wrap")]
    assert versions(engine) == [1, 2]


def test_alias_only_is_recorded_without_touching_the_table(engine: Engine) -> None:
    ensure_schema(engine, orders())
    ensure_schema(engine, orders(amount={"aliases": ["Total"]}))

    assert table_columns(engine) == ["job_id", "row_no", "tenant", "order_id", "amount"]
    assert versions(engine) == [1, 2]
    _version, spec = applied_versions(engine, "orders")[-1]
    assert spec.columns[1].aliases == ("Total",)


def test_type_change_is_refused_with_what_to_do(engine: Engine) -> None:
    ensure_schema(engine, orders())
    with pytest.raises(ConfigError) as refused:
        ensure_schema(engine, orders(amount={"type": "integer", "scale": None}))

    assert str(refused.value) == (
        "dataset 'orders': column 'amount' is decimal(38,2) in the table but integer in"
        " datasets/orders.yaml; a type change would lose data. Create a new dataset name,"
        " or migrate the table by hand and delete its rows in bulkflow_schema_versions"
    )
    assert versions(engine) == [1]


def test_key_change_is_refused(engine: Engine) -> None:
    ensure_schema(engine, orders())
    with pytest.raises(ConfigError, match=r"business key is \(order_id\) in the table but "):
        ensure_schema(engine, orders(key=("order_id", "amount")), source="datasets/o.yaml")
    assert versions(engine) == [1]


def test_dropped_column_is_refused(engine: Engine) -> None:
    ensure_schema(engine, orders({"name": "note", "type": "string"}))
    with pytest.raises(ConfigError, match="column 'note' is in the table but not in"):
        ensure_schema(engine, orders())
    assert "note" in table_columns(engine)


def test_a_table_older_than_the_versions_is_adopted_and_migrated(engine: Engine) -> None:
    dataset_table(orders()).metadata.create_all(engine)  # as create_all made tables before

    ensure_schema(engine, orders({"name": "note", "type": "string"}))

    assert "note" in table_columns(engine)
    assert versions(engine) == [1]


def test_string_to_email_changes_validation_only(engine: Engine) -> None:
    ensure_schema(engine, orders({"name": "contact", "type": "string"}))
    ensure_schema(engine, orders({"name": "contact", "type": "email"}))
    assert versions(engine) == [1, 2]


def test_a_table_dropped_by_hand_is_made_again(engine: Engine) -> None:
    ensure_schema(engine, orders())
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE ds_orders")

    ensure_schema(engine, orders())

    assert table_columns(engine) == ["job_id", "row_no", "tenant", "order_id", "amount"]
    assert versions(engine) == [1]


def test_a_change_consumers_cannot_read_needs_the_next_major_version(engine: Engine) -> None:
    from database.migrations import check_dataset

    ensure_schema(engine, orders())
    required = orders({"name": "sku", "type": "string", "required": True})
    assert check_dataset(engine, required).verdict.level == "FORWARD"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"FORWARD compatible .*set results: \{major: 2\}"):
        ensure_schema(engine, required)
    assert [v for v, _ in applied_versions(engine, "orders")] == [1]  # nothing changed

    bumped = parse_dataset(
        {
            "name": "orders",
            "key": ["order_id"],
            "columns": [*BASE_COLUMNS, {"name": "sku", "type": "string", "required": True}],
            "results": {"major": 2},
        }
    )
    check = check_dataset(engine, bumped)
    assert check.allowed and "results.orders.v2" in check.describe()
    ensure_schema(engine, bumped)
    assert check_dataset(engine, bumped).verdict.level == "FULL"  # type: ignore[union-attr]


def test_a_ledger_made_before_rows_repeated_gains_it_and_its_rows_count_none(
    engine: Engine,
) -> None:
    with engine.begin() as conn:  # the ledger as it was made without the column
        conn.exec_driver_sql(
            "CREATE TABLE bulkflow_chunk_ledger (job_id TEXT NOT NULL, chunk_no BIGINT NOT NULL, "
            "rows_ok BIGINT NOT NULL, rows_failed BIGINT NOT NULL, processed_at DATETIME NOT "
            "NULL, PRIMARY KEY (job_id, chunk_no))"
        )
        conn.exec_driver_sql(
            "INSERT INTO bulkflow_chunk_ledger VALUES ('job-1', 0, 1, 0, '2026-01-01 00:00:00')"
        )
    ensure_schema(engine, orders())
    ledger = [c["name"] for c in sa.inspect(engine).get_columns("bulkflow_chunk_ledger")]
    assert "rows_repeated" in ledger
    valid = pa.table(
        {ROW_COLUMN: pa.array([2], pa.int64()), "order_id": [1], "amount": pa.array([None])}
    )
    again = save_validated(
        engine, orders(), job_id="job-1", tenant="acme", chunk_no=0, valid=valid, errors=[]
    )
    assert (again.already_saved, again.rows_ok, again.repeated_keys) == (True, 1, 0)
    save(engine, orders(), "job-2", [{"order_id": 2}])
    assert stored(engine, orders(), "order_id") == [(2,)]
