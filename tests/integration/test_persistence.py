"""Persistence against real SQLite and PostgreSQL: exactly once, upserts, types, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg
import pyarrow as pa
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from database import chunk_store
from database.chunk_store import PG_COPY_MIN_ROWS
from database.engine import make_engine
from database.migrations import ensure_schema
from database.reports import count_rows, iter_row_errors, ledger_counts
from database.tables import dataset_table
from schemas.arrow_codec import ROW_COLUMN
from schemas.arrow_types import arrow_type
from schemas.dataset import Dataset, parse_dataset
from schemas.records import RowError
from stream_processors.errors import (
    PermanentChunkError,
    TransientDatabaseError,
    classify_db_error,
)
from tests.support.chunk_store import save_validated, write_validated

pytestmark = pytest.mark.integration

ORDERS = parse_dataset(
    {
        "name": "orders",
        "key": ["order_id"],
        "columns": [
            {"name": "order_id", "type": "integer", "required": True},
            {"name": "customer_email", "type": "email"},
            {"name": "amount", "type": "decimal", "scale": 2},
            {"name": "ordered_at", "type": "datetime"},
        ],
    }
)
EVENTS = parse_dataset(  # no key: rows are only unique per (job_id, row_no)
    {
        "name": "events",
        "columns": [
            {"name": "label", "type": "string"},
            {"name": "score", "type": "float"},
            {"name": "flag", "type": "boolean"},
            {"name": "day", "type": "date"},
            {"name": "at", "type": "datetime"},
            {"name": "price", "type": "decimal", "scale": 2},
            {"name": "count", "type": "integer"},
        ],
    }
)
# Both paths of PostgreSQL: executemany for small chunks, COPY for big ones.
SIZES = [pytest.param(3, id="small"), pytest.param(PG_COPY_MIN_ROWS + 50, id="bulk")]
T0 = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_database_url"
    eng = make_engine(request.getfixturevalue(fixture))
    ensure_schema(eng, ORDERS)
    ensure_schema(eng, EVENTS)
    yield eng
    eng.dispose()


def arrow(dataset: Dataset, rows: list[dict[str, Any]]) -> pa.Table:
    data = {ROW_COLUMN: pa.array([r[ROW_COLUMN] for r in rows], pa.int64())}
    for col in dataset.columns:
        data[col.name] = pa.array([r.get(col.name) for r in rows], arrow_type(col))
    return pa.table(data)


def orders(n: int, *, first_id: int = 1, amount: str = "1.00") -> pa.Table:
    rows = [
        {
            ROW_COLUMN: i + 2,
            "order_id": first_id + i,
            "customer_email": f"c{i}@example.com",
            "amount": Decimal(amount),
            "ordered_at": T0 + timedelta(minutes=i),
        }
        for i in range(n)
    ]
    return arrow(ORDERS, rows)


def save(
    engine: Engine,
    dataset: Dataset,
    valid: pa.Table,
    *,
    job: str = "job-1",
    chunk: int = 0,
    errors: list[RowError] | None = None,
    tenant: str = "acme",
):
    return save_validated(
        engine,
        dataset,
        job_id=job,
        tenant=tenant,
        chunk_no=chunk,
        valid=valid,
        errors=errors or [],
    )


def stored(engine: Engine, dataset: Dataset, *cols: str) -> list[tuple[Any, ...]]:
    table = dataset_table(dataset)
    with engine.connect() as conn:
        query = select(*(table.c[c] for c in cols)).order_by(table.c.job_id, table.c.row_no)
        return [tuple(r) for r in conn.execute(query)]


@pytest.mark.parametrize("size", SIZES)
def test_a_chunk_saved_twice_writes_once(engine: Engine, size: int) -> None:
    errors = [RowError(row=99, column="amount", value="x", message="not a number")]
    first = save(engine, ORDERS, orders(size), errors=errors)
    again = save(engine, ORDERS, orders(size, amount="9.99"), errors=errors)

    assert (first.already_saved, first.rows_ok, first.rows_failed) == (False, size, 1)
    assert (again.already_saved, again.rows_ok, again.rows_failed) == (True, size, 1)
    assert count_rows(engine, ORDERS, "job-1") == size
    assert ledger_counts(engine, "job-1") == (1, size, 1)
    assert len(list(iter_row_errors(engine, "job-1", "acme"))) == 1
    assert {a for (a,) in stored(engine, ORDERS, "amount")} == {Decimal("1.00")}


@pytest.mark.parametrize("size", SIZES)
def test_rows_errors_and_ledger_commit_or_roll_back_together(engine: Engine, size: int) -> None:
    # A row number beyond BIGINT fails the error insert, after the rows were written.
    bad = [RowError(row=2**70, column="amount", value="x", message="boom")]
    with pytest.raises(Exception) as caught:
        save(engine, ORDERS, orders(size), errors=bad)

    assert isinstance(classify_db_error(caught.value), PermanentChunkError)
    assert count_rows(engine, ORDERS, "job-1") == 0
    assert ledger_counts(engine, "job-1") == (0, 0, 0)
    assert list(iter_row_errors(engine, "job-1", "acme")) == []
    # Nothing half-written blocks the retry.
    assert save(engine, ORDERS, orders(size)).already_saved is False
    assert count_rows(engine, ORDERS, "job-1") == size


@pytest.mark.parametrize("size", SIZES)
def test_keyed_reupload_updates_rows_instead_of_duplicating(engine: Engine, size: int) -> None:
    save(engine, ORDERS, orders(size), job="job-1")
    corrected = orders(size, amount="12.34")
    save(engine, ORDERS, corrected, job="job-2")

    assert count_rows(engine, ORDERS, "job-1") == 0
    assert count_rows(engine, ORDERS, "job-2") == size
    rows = stored(engine, ORDERS, "order_id", "amount", "job_id", "row_no")
    assert len(rows) == size
    assert rows[0] == (1, Decimal("12.34"), "job-2", 2)


@pytest.mark.parametrize("expect_conflicts", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_a_chunk_partly_of_known_keys_updates_those_and_inserts_the_rest(
    engine: Engine, size: int, expect_conflicts: bool
) -> None:
    save(engine, ORDERS, orders(size), job="job-1")
    # keys 1..size again (amount changed) plus as many new ones
    mixed = orders(2 * size, amount="5.55")
    outcome = save_validated(
        engine,
        ORDERS,
        job_id="job-2",
        tenant="acme",
        chunk_no=0,
        valid=mixed,
        errors=[],
        expect_conflicts=expect_conflicts,
    )

    assert (outcome.already_saved, outcome.rows_ok) == (False, 2 * size)
    rows = stored(engine, ORDERS, "order_id", "amount", "job_id")
    assert sorted(rows) == [(i, Decimal("5.55"), "job-2") for i in range(1, 2 * size + 1)]
    assert ledger_counts(engine, "job-2") == (1, 2 * size, 0)
    # PostgreSQL's bare COPY met the known keys and redid the chunk as an upsert; the worker
    # then sends the job's next chunks straight to the upsert
    copied = engine.dialect.name == "postgresql" and 2 * size >= PG_COPY_MIN_ROWS
    assert outcome.key_conflict == (copied or expect_conflicts)


@pytest.mark.parametrize("size", SIZES)
def test_last_row_of_a_key_within_one_chunk_wins(engine: Engine, size: int) -> None:
    first = orders(size)
    last = arrow(ORDERS, [{ROW_COLUMN: 10_000, "order_id": 1, "amount": Decimal("7.50")}])
    save(engine, ORDERS, pa.concat_tables([first, last]))

    rows = stored(engine, ORDERS, "order_id", "amount", "row_no")
    assert len(rows) == size
    assert (1, Decimal("7.50"), 10_000) in rows


@pytest.mark.parametrize("size", SIZES)
def test_a_files_last_row_of_a_key_wins_whichever_chunk_is_written_first(
    engine: Engine, size: int
) -> None:
    # key 1 on row 2 (chunk 0) and again on row 10,000 (chunk 5), written in that order or
    # the other: the file's last row of it is kept; a later job's row still replaces it
    late = arrow(ORDERS, [{ROW_COLUMN: 10_000, "order_id": 1, "amount": Decimal("7.50")}])
    assert save(engine, ORDERS, late, chunk=5).repeated_keys == 0
    # one row of the chunk repeats a key of the file's: it is counted, as the job says
    assert save(engine, ORDERS, orders(size), chunk=0).repeated_keys == 1
    rows = stored(engine, ORDERS, "order_id", "amount", "row_no")
    assert (1, Decimal("7.50"), 10_000) in rows and len(rows) == size
    # a key twice within one chunk counts too; another job's row is no repeat
    again = arrow(ORDERS, [{ROW_COLUMN: 4, "order_id": 500, "amount": Decimal("2.00")}])
    twice = pa.concat_tables([orders(2, first_id=500), again])
    assert save(engine, ORDERS, twice, chunk=7).repeated_keys == 1
    assert save(engine, ORDERS, orders(1, amount="3.00"), job="job-2").repeated_keys == 0
    assert stored(engine, ORDERS, "order_id", "amount", "job_id", "row_no")[-1] == (
        1,
        Decimal("3.00"),
        "job-2",
        2,
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_chunk_read_again_reports_the_repeated_keys_its_first_write_found(
    engine: Engine, size: int
) -> None:
    # a worker that stopped after its transaction committed and before it published the
    # chunk's result: the chunk read again is written once and says what the first write found
    late = arrow(ORDERS, [{ROW_COLUMN: 10_000, "order_id": 1, "amount": Decimal("7.50")}])
    save(engine, ORDERS, late, chunk=5)
    assert save(engine, ORDERS, orders(size), chunk=0).repeated_keys == 1
    again = save(engine, ORDERS, orders(size), chunk=0)
    assert (again.already_saved, again.rows_ok, again.repeated_keys) == (True, size, 1)
    # a key twice within one chunk, counted before its rows are written
    repeat = arrow(ORDERS, [{ROW_COLUMN: 4, "order_id": 500, "amount": Decimal("2.00")}])
    twice = pa.concat_tables([orders(2, first_id=500), repeat])
    assert save(engine, ORDERS, twice, chunk=7).repeated_keys == 1
    assert save(engine, ORDERS, twice, chunk=7).repeated_keys == 1
    assert save(engine, ORDERS, orders(2, first_id=900), chunk=8).repeated_keys == 0
    assert save(engine, ORDERS, orders(2, first_id=900), chunk=8).repeated_keys == 0


def test_repeated_keys_are_counted_over_several_queries(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one key a query: the counts of the slices add up (SQLite binds 32,766 values at most)
    monkeypatch.setattr(chunk_store, "KEYS_PER_QUERY", 1)
    save(engine, ORDERS, orders(3), chunk=9)
    later = arrow(
        ORDERS,
        [{ROW_COLUMN: 100 + i, "order_id": i, "amount": Decimal("4.00")} for i in (1, 2, 7)],
    )
    assert save(engine, ORDERS, later, chunk=1).repeated_keys == 2


def test_key_is_scoped_to_the_tenant(engine: Engine) -> None:
    save(engine, ORDERS, orders(3), job="job-a", tenant="acme")
    save(engine, ORDERS, orders(3), job="job-b", tenant="globex")
    assert count_rows(engine, ORDERS, "job-a") == count_rows(engine, ORDERS, "job-b") == 3


@pytest.mark.parametrize("size", SIZES)
def test_unkeyed_rows_insert_or_ignore_on_job_and_row(engine: Engine, size: int) -> None:
    rows = [{ROW_COLUMN: i + 2, "label": "first", "count": i} for i in range(size)]
    save(engine, EVENTS, arrow(EVENTS, rows), chunk=0)
    # The same rows under another chunk number (a re-chunked replay) are ignored...
    again = [{**r, "label": "second"} for r in rows]
    save(engine, EVENTS, arrow(EVENTS, again), chunk=1)
    # ...while the same content from another job is new data.
    save(engine, EVENTS, arrow(EVENTS, again), job="job-2")

    assert count_rows(engine, EVENTS, "job-1") == size
    assert count_rows(engine, EVENTS, "job-2") == size
    labels = {(job, label) for job, label in stored(engine, EVENTS, "job_id", "label")}
    assert labels == {("job-1", "first"), ("job-2", "second")}


@pytest.mark.parametrize("size", SIZES)
def test_every_type_round_trips_exactly(engine: Engine, size: int) -> None:
    plus_two = timezone(timedelta(hours=2))
    samples: list[dict[str, Any]] = [
        {
            "label": 'quote " comma , newline \n ü',
            "score": 0.1,
            "flag": True,
            "day": date(2024, 2, 29),
            "at": T0,
            "price": Decimal("12.34"),
            "count": 2**62,
        },
        {
            "label": "",
            "score": -1e300,
            "flag": False,
            "day": date(1, 1, 1),
            "at": datetime(2024, 6, 1, 8, 0, tzinfo=plus_two),
            "price": Decimal("-0.05"),
            "count": -1,
        },
        {
            "label": None,
            "score": None,
            "flag": None,
            "day": None,
            "at": None,
            "price": None,
            "count": None,
        },
    ]
    rows = [{ROW_COLUMN: i + 2, **samples[i % 3]} for i in range(size)]
    save(engine, EVENTS, arrow(EVENTS, rows))

    names = [c.name for c in EVENTS.columns]
    got = stored(engine, EVENTS, *names)[:3]
    assert got[0] == (
        'quote " comma , newline \n ü',
        0.1,
        True,
        date(2024, 2, 29),
        T0,
        Decimal("12.34"),
        2**62,
    )
    assert got[1] == (
        "",
        -1e300,
        False,
        date(1, 1, 1),
        datetime(2024, 6, 1, 6, 0, tzinfo=UTC),
        Decimal("-0.05"),
        -1,
    )
    assert got[2] == (None,) * len(names)
    assert got[0][4].tzinfo is not None and got[0][4].utcoffset() == timedelta(0)
    assert str(got[0][5]) == "12.34"


@pytest.mark.parametrize("huge", [False, True], ids=["binary copy", "text copy fallback"])
def test_decimals_of_every_scale_and_size_round_trip(engine: Engine, huge: bool) -> None:
    money = parse_dataset(
        {
            "name": "money",
            "columns": [
                {"name": "units", "type": "decimal", "scale": 0},
                {"name": "cents", "type": "decimal", "scale": 2},
                {"name": "fine", "type": "decimal", "scale": 5},
            ],
        }
    )
    ensure_schema(engine, money)
    # 24 digits do not fit the binary encoder's int64: the chunk goes as CSV instead
    big = Decimal("123456789012345678901234") if huge else Decimal("9223372036854775807")
    samples = [
        (Decimal(0), Decimal("0.00"), Decimal("0.00000")),
        (Decimal(-1), Decimal("-0.01"), Decimal("-0.00001")),
        (Decimal(10_000), Decimal("9999.99"), Decimal("10000.00001")),
        (big, Decimal("-92233720368547758.08"), Decimal("-12345678.90123")),
    ]
    rows = [
        {ROW_COLUMN: i + 2, **dict(zip(("units", "cents", "fine"), samples[i % 4], strict=True))}
        for i in range(PG_COPY_MIN_ROWS + 2)
    ]
    save(engine, money, arrow(money, rows))

    got = stored(engine, money, "units", "cents", "fine")
    assert got[:4] == samples
    assert [str(v) for v in got[2]] == ["10000", "9999.99", "10000.00001"]
    assert len(got) == PG_COPY_MIN_ROWS + 2


def test_row_errors_stream_by_row_then_column_for_the_tenant(engine: Engine) -> None:
    errors = [
        RowError(row=5, column="b", value="1", message="m1"),
        RowError(row=3, column="z", value=None, message="m2"),
        RowError(row=5, column="a", value="2", message="m3"),
        RowError(row=3, column="a", value="", message="m4"),
    ]
    outcome = save(engine, ORDERS, orders(0), errors=errors)
    save(
        engine,
        ORDERS,
        orders(0),
        job="job-1",
        chunk=1,
        tenant="other",
        errors=[RowError(row=1, column="a", value="x", message="other tenant")],
    )

    assert outcome.rows_failed == 2
    got = list(iter_row_errors(engine, "job-1", "acme"))
    assert [(e.row, e.column, e.value) for e in got] == [
        (3, "a", ""),
        (3, "z", None),
        (5, "a", "2"),
        (5, "b", "1"),
    ]


def test_the_same_chunk_saved_concurrently_is_written_once(engine: Engine) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def worker() -> None:
        barrier.wait()
        try:
            outcomes.append(save(engine, ORDERS, orders(PG_COPY_MIN_ROWS + 50)))
        except Exception as exc:  # surfaced by the assertion below
            outcomes.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(o.already_saved for o in outcomes) == [False, True], outcomes
    assert count_rows(engine, ORDERS, "job-1") == PG_COPY_MIN_ROWS + 50
    assert ledger_counts(engine, "job-1")[0] == 1


def test_ensure_schema_is_idempotent_across_racing_threads(engine: Engine) -> None:
    fresh = parse_dataset(
        {"name": "racy", "key": ["k"], "columns": [{"name": "k", "type": "integer"}]}
    )
    failures: list[BaseException] = []

    def create() -> None:
        try:
            ensure_schema(engine, fresh)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    assert save(engine, fresh, arrow(fresh, [{ROW_COLUMN: 2, "k": 1}])).rows_ok == 1


def test_a_locked_sqlite_database_is_transient(sqlite_url: str) -> None:
    holder, waiter = make_engine(sqlite_url), make_engine(sqlite_url)
    ensure_schema(holder, ORDERS)
    with holder.connect() as locked:
        locked.exec_driver_sql("BEGIN IMMEDIATE")  # hold the write lock
        with waiter.connect() as conn, pytest.raises(Exception) as caught:
            conn.exec_driver_sql("PRAGMA busy_timeout=50")
            write_validated(
                conn, ORDERS, job_id="j", tenant="t", chunk_no=0, valid=orders(1), errors=[]
            )
        locked.exec_driver_sql("ROLLBACK")
    assert isinstance(classify_db_error(caught.value), TransientDatabaseError)
    holder.dispose()
    waiter.dispose()


@pytest.mark.postgres
def test_a_killed_postgres_connection_is_transient(pg_database_url: str) -> None:
    eng, killer = make_engine(pg_database_url), make_engine(pg_database_url)
    ensure_schema(eng, ORDERS)
    with eng.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with killer.begin() as k:
            k.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(Exception) as caught:
            write_validated(
                conn, ORDERS, job_id="j", tenant="t", chunk_no=0, valid=orders(1), errors=[]
            )
    error = classify_db_error(caught.value)
    assert isinstance(error, TransientDatabaseError), error
    eng.dispose()
    killer.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("size", SIZES)
def test_numeric_overflow_on_postgres_is_permanent(pg_database_url: str, size: int) -> None:
    narrow = parse_dataset(
        {
            "name": "narrow",
            "columns": [{"name": "v", "type": "decimal", "precision": 5, "scale": 2}],
        }
    )
    eng = make_engine(pg_database_url)
    ensure_schema(eng, narrow)
    rows = [{ROW_COLUMN: i + 2, "v": Decimal("12345.67")} for i in range(size)]
    with pytest.raises(Exception) as caught:
        save(eng, narrow, arrow(narrow, rows))
    error = classify_db_error(caught.value)
    assert isinstance(error, PermanentChunkError), error
    assert "overflow" in str(error)
    assert ledger_counts(eng, "job-1") == (0, 0, 0)
    eng.dispose()


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (psycopg.errors.DeadlockDetected("deadlock"), True),
        (psycopg.errors.SerializationFailure("conflict"), True),
        (psycopg.errors.AdminShutdown("bye"), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.errors.NumericValueOutOfRange("overflow"), False),
        (psycopg.errors.UniqueViolation("duplicate"), False),
        (psycopg.errors.UndefinedTable("no table"), False),
    ],
)
def test_classify_by_sqlstate(error: Exception, transient: bool) -> None:
    wrapped = DBAPIError("INSERT ...", None, error)
    for exc in (error, wrapped):
        expected = TransientDatabaseError if transient else PermanentChunkError
        assert isinstance(classify_db_error(exc), expected)


def test_classify_keeps_processor_errors_and_calls_unknown_ones_permanent() -> None:
    transient = TransientDatabaseError("x")
    assert classify_db_error(transient) is transient
    assert isinstance(classify_db_error(ValueError("bad value")), PermanentChunkError)
