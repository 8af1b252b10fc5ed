"""Parquet and JSON Lines readers, and the row estimates made at upload time."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from files.estimate import estimate_rows
from producer.readers import open_reader
from producer.readers.jsonl import cell_text
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError
from schemas.settings import packaged_datasets_dir


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def read_all(path: Path, dataset: Dataset, chunk_rows: int = 1000) -> list[dict[str, object]]:
    reader = open_reader(path, dataset, chunk_rows)
    try:
        batches = list(reader.batches())
    finally:
        reader.close()
    assert all(b.num_rows <= chunk_rows for b in batches)
    return [row for b in batches for row in b.to_pylist()]


def test_parquet_values_read_as_a_person_sees_them(tmp_path: Path, orders: Dataset) -> None:
    table = pa.table(
        {
            "Order ID": pa.array([1, 2, None], pa.int64()),
            "email": ["a@x.io", "b@x.io", None],
            "ordered_at": pa.array(
                [dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 3, 4, 5, 250000), None],
                pa.timestamp("us"),
            ),
            "amount": pa.array([Decimal("12.50"), Decimal("0.10"), None], pa.decimal128(10, 2)),
            "quantity": pa.array([3.0, 2.5, None], pa.float64()),
            "express": [True, False, None],
            "notes": pa.array(["x", "", None]).dictionary_encode(),
            "other": [1, 2, 3],
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    reader = open_reader(path, orders, 10)
    assert reader.mapping.unknown_columns == ["other"]
    rows = read_all(path, orders)
    # the third row is empty in every dataset column: skipped like an empty sheet row
    assert rows == [
        {
            "order_id": "1",
            "customer_email": "a@x.io",
            "ordered_at": "2024-01-02T03:04:05",
            "amount": "12.50",
            "quantity": "3",
            "express": "TRUE",
            "notes": "x",
            ROW_COLUMN: 2,
        },
        {
            "order_id": "2",
            "customer_email": "b@x.io",
            "ordered_at": "2024-01-02T03:04:05.25",
            "amount": "0.10",
            "quantity": "2.5",
            "express": "FALSE",
            "notes": None,
            ROW_COLUMN: 3,
        },
    ]


def test_parquet_dates_and_aware_timestamps(tmp_path: Path) -> None:
    ds = Dataset.model_validate(
        {
            "name": "d",
            "columns": [{"name": "day", "type": "date"}, {"name": "at", "type": "datetime"}],
        }
    )
    at = pa.array([dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)], pa.timestamp("ms", "UTC"))
    aware = pc_cast_tz(at, "Europe/Berlin")
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"day": [dt.date(2024, 6, 1)], "at": aware}), path)
    assert read_all(path, ds) == [{"day": "2024-06-01", "at": "2024-06-01T12:00:00", ROW_COLUMN: 2}]


def pc_cast_tz(array: pa.Array, tz: str) -> pa.Array:
    return array.cast(pa.timestamp("ms", tz))


def test_parquet_row_groups_rebatched_exactly(tmp_path: Path, orders: Dataset) -> None:
    n = 10_007
    table = pa.table(
        {
            "order_id": pa.array(range(n)),
            "customer_email": [f"u{i}@x.io" for i in range(n)],
            "ordered_at": ["2024-01-01"] * n,
        }
    )
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=777)
    reader = open_reader(path, orders, 1000)
    sizes = [b.num_rows for b in reader.batches()]
    assert sizes == [1000] * 10 + [7]
    assert estimate_rows(path) == n
    rows = read_all(path, orders)
    assert rows[-1]["order_id"] == str(n - 1) and rows[-1][ROW_COLUMN] == n + 1


def test_parquet_missing_required_column(tmp_path: Path, orders: Dataset) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"email": ["a"], "ordered_at": ["b"]}), path)
    with pytest.raises(ParseError, match="missing required column 'order_id'"):
        open_reader(path, orders, 10)


def test_jsonl_keys_are_headers_and_values_are_text(tmp_path: Path, orders: Dataset) -> None:
    lines = [
        {"order_id": 1, "email": "a@x.io", "ordered_at": "2024-01-01", "express": True},
        {},
        {"order_id": 2.0, "email": "b@x.io", "ordered_at": "2024", "amount": 9.99, "x": 1},
        {"order_id": None, "email": "", "ordered_at": "  "},
        {"order_id": 3, "email": "c@x.io", "ordered_at": "2024", "notes": {"a": [1]}},
    ]
    text = (
        "\n".join(json.dumps(x) for x in lines[:2])
        + "\n\n"
        + "\n".join(json.dumps(x) for x in lines[2:])
    )
    path = tmp_path / "o.jsonl"
    path.write_text(text + "\n", encoding="utf-8")
    reader = open_reader(path, orders, 10)
    # keys are the union over the first lines, in first-seen order
    assert reader.mapping.unknown_columns == ["x"]
    rows = read_all(path, orders)
    assert [r[ROW_COLUMN] for r in rows] == [2, 5, 7]  # line number + 1, like a sheet row
    assert rows[0]["order_id"] == "1" and rows[0]["express"] == "TRUE"
    assert rows[0]["amount"] is None
    assert rows[1]["order_id"] == "2" and rows[1]["amount"] == "9.99"
    assert rows[2]["notes"] == '{"a": [1]}'


def test_jsonl_malformed_line_names_it(tmp_path: Path, orders: Dataset) -> None:
    path = tmp_path / "o.jsonl"
    good = json.dumps({"order_id": 1, "email": "a", "ordered_at": "b"})
    path.write_text("\n".join([good] * 1500 + ['{"order_id": 2,']) + "\n")
    with pytest.raises(ParseError, match=r"^line 1501 is not valid JSON"):
        read_all(path, orders)


def test_jsonl_line_that_is_not_an_object(tmp_path: Path, orders: Dataset) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text('{"order_id": 1, "email": "a", "ordered_at": "b"}\n[1, 2]\n')
    with pytest.raises(ParseError, match=r"^line 2 is not a JSON object"):
        open_reader(path, orders, 10)


def test_jsonl_chunking_and_estimate(tmp_path: Path, orders: Dataset) -> None:
    path = tmp_path / "o.jsonl"
    obj = {"order_id": 1, "email": "a@x.io", "ordered_at": "2024-01-01"}
    path.write_text((json.dumps(obj) + "\n") * 2500)
    reader = open_reader(path, orders, 1000)
    assert [b.num_rows for b in reader.batches()] == [1000, 1000, 500]
    reader.close()
    assert abs(estimate_rows(path) - 2500) <= 2


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, None), ("", None), (True, "TRUE"), (0, "0"), (3.0, "3"), (0.5, "0.5"), ([1], "[1]")],
)
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def test_csv_estimate_is_close_without_reading_the_file(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    rows = "".join(f"{i},user{i}@example.com,2024-01-01T10:00:00,{i % 97}\n" for i in range(50_000))
    path.write_text("order_id,email,ordered_at,notes\n" + rows)
    # ids grow longer down the file, so the first 64 KiB overestimate a little
    assert abs(estimate_rows(path, "csv") - 50_000) < 5_000
    small = tmp_path / "s.csv"
    small.write_text("a\n1\n2\n3")
    assert estimate_rows(small) == 3


def test_xlsx_goes_to_the_xlsx_reader(
    tmp_path: Path, orders: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types
    import zipfile

    calls: list[tuple[object, ...]] = []
    fake = types.ModuleType("producer.readers.xlsx")

    def open_xlsx_reader(path: Path, dataset: Dataset, chunk_rows: int, **kw: object) -> str:
        calls.append((path, dataset.name, chunk_rows, kw["sheet"]))
        return "xlsx reader"

    fake.open_xlsx_reader = open_xlsx_reader  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "producer.readers.xlsx", fake)
    monkeypatch.setattr("files.estimate.estimate_xlsx_rows", lambda path: 42)
    path = tmp_path / "book.bin"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert open_reader(path, orders, 500, sheet="Q3") == "xlsx reader"
    assert calls == [(path, "orders", 500, "Q3")]
    assert estimate_rows(path) == 42
    with pytest.raises(ParseError, match=r"^the file's content is xlsx, not csv$"):
        open_reader(path, orders, 500, file_format="csv")
