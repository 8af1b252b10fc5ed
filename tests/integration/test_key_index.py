"""The business-key index of a keyed dataset on PostgreSQL: the key's columns lead, the tenant
comes last, and a table made with the tenant first (before that change) still upserts."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa
import pytest
from sqlalchemy import Engine, text

from database.chunk_store import PG_COPY_MIN_ROWS
from database.engine import make_engine
from database.migrations import ensure_schema
from database.reports import count_rows
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import parse_dataset
from tests.support.chunk_store import save_validated

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ORDERS = parse_dataset(
    {
        "name": "orders",
        "key": ["order_id"],
        "columns": [
            {"name": "order_id", "type": "integer", "required": True},
            {"name": "amount", "type": "decimal", "scale": 2},
        ],
    }
)
ROWS = PG_COPY_MIN_ROWS + 50  # the COPY path, whose conflicts fall back to the upsert


@pytest.fixture
def engine(pg_database_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_database_url)
    ensure_schema(eng, ORDERS)
    yield eng
    eng.dispose()


def orders(amount: str) -> pa.Table:
    return pa.table(
        {
            ROW_COLUMN: pa.array(range(2, ROWS + 2), pa.int64()),
            "order_id": pa.array(range(1, ROWS + 1), pa.int64()),
            "amount": pa.array([Decimal(amount)] * ROWS, pa.decimal128(38, 2)),
        }
    )


def save(engine: Engine, job: str, amount: str, tenant: str = "acme") -> None:
    save_validated(
        engine, ORDERS, job_id=job, tenant=tenant, chunk_no=0, valid=orders(amount), errors=[]
    )


def key_index_columns(engine: Engine) -> list[str]:
    query = text(
        "SELECT a.attname FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE c.relname = 'uq_ds_orders_key' ORDER BY k.n"
    )
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


def amounts(engine: Engine) -> set[tuple[str, Decimal]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT tenant, amount FROM ds_orders"))
        return {(tenant, amount) for tenant, amount in rows}


def test_a_new_table_compares_the_key_before_the_tenant(engine: Engine) -> None:
    assert key_index_columns(engine) == ["order_id", "tenant"]


def test_a_table_with_the_tenant_first_still_upserts(engine: Engine) -> None:
    with engine.begin() as conn:  # the index as tables were made before
        conn.execute(text("ALTER TABLE ds_orders DROP CONSTRAINT uq_ds_orders_key"))
        conn.execute(
            text("ALTER TABLE ds_orders ADD CONSTRAINT uq_ds_orders_key UNIQUE (tenant, order_id)")
        )
    assert key_index_columns(engine) == ["tenant", "order_id"]
    save(engine, "job-1", "1.00")
    save(engine, "job-2", "12.34")  # a corrected re-upload: the same keys
    save(engine, "job-3", "5.00", tenant="globex")
    assert count_rows(engine, ORDERS, "job-1") == 0
    assert count_rows(engine, ORDERS, "job-2") == count_rows(engine, ORDERS, "job-3") == ROWS
    assert amounts(engine) == {("acme", Decimal("12.34")), ("globex", Decimal("5.00"))}


def test_a_new_table_upserts_per_tenant(engine: Engine) -> None:
    save(engine, "job-1", "1.00")
    save(engine, "job-2", "12.34")
    save(engine, "job-3", "5.00", tenant="globex")
    assert count_rows(engine, ORDERS, "job-1") == 0
    assert count_rows(engine, ORDERS, "job-2") == count_rows(engine, ORDERS, "job-3") == ROWS
    assert amounts(engine) == {("acme", Decimal("12.34")), ("globex", Decimal("5.00"))}
