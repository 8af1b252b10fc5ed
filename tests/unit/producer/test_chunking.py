"""Chunk records: numbering, determinism, the byte ceiling."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from producer.chunking import build_chunk_records
from producer.readers import open_reader
from schemas.arrow_codec import ROW_COLUMN, decode_batch, number_cells_column
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError
from schemas.headers import ChunkHeaders
from schemas.settings import packaged_datasets_dir

N_ROWS = 12_345


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chunks") / "orders.csv"
    header = "order_id,customer_email,country,ordered_at,amount,quantity,express,notes\n"
    lines = (
        f'{i},u{i}@x.io,DE,2024-01-01T00:00:00,{i % 500}.25,{i % 9 + 1},TRUE,"n {i}\n2"\n'
        for i in range(N_ROWS)
    )
    path.write_text(header + "".join(lines))
    return path


def chunks(
    path: Path, dataset: Dataset, chunk_rows: int, max_bytes: int = 1 << 20
) -> list[tuple[ChunkHeaders, bytes]]:
    reader = open_reader(path, dataset, chunk_rows)
    try:
        return list(
            build_chunk_records(
                reader.batches(),
                job_id="job-1",
                dataset=dataset.name,
                tenant="acme",
                schema_version=dataset.version,
                max_bytes=max_bytes,
            )
        )
    finally:
        reader.close()


def test_chunks_are_numbered_in_file_order_and_cover_every_row(
    orders_csv: Path, orders: Dataset
) -> None:
    records = chunks(orders_csv, orders, 1000)
    assert [h.chunk_no for h, _ in records] == list(range(13))
    assert sum(h.row_count for h, _ in records) == N_ROWS
    expected_row = 2
    for headers, payload in records:
        batch = decode_batch(payload)
        assert batch.num_rows == headers.row_count
        # quoted newlines: every record spans two lines, yet rows count records
        assert headers.first_row_no == expected_row == batch.column(ROW_COLUMN)[0].as_py()
        assert headers.key == f"job-1:{headers.chunk_no}".encode()
        assert (headers.dataset, headers.tenant, headers.schema_version) == ("orders", "acme", 1)
        expected_row += headers.row_count
    last = decode_batch(records[-1][1])
    assert last.column("notes")[last.num_rows - 1].as_py() == f"n {N_ROWS - 1}\n2"


def test_the_same_file_gives_the_same_chunks(orders_csv: Path, orders: Dataset) -> None:
    first = chunks(orders_csv, orders, 700)
    again = chunks(orders_csv, orders, 700)
    assert first == again  # headers and payload bytes identical: a re-parse is idempotent


def test_a_batch_over_the_byte_ceiling_is_halved(orders_csv: Path, orders: Dataset) -> None:
    whole = chunks(orders_csv, orders, 4000)
    biggest = max(len(p) for _, p in whole)
    ceiling = biggest // 3
    split = chunks(orders_csv, orders, 4000, max_bytes=ceiling)
    assert all(len(p) <= ceiling for _, p in split)
    assert len(split) > len(whole)
    assert [h.chunk_no for h, _ in split] == list(range(len(split)))
    assert sum(h.row_count for h, _ in split) == N_ROWS
    rows = [r for _, p in split for r in decode_batch(p).column(ROW_COLUMN).to_pylist()]
    assert rows == list(range(2, N_ROWS + 2))


def test_a_single_row_over_the_ceiling_is_a_parse_error() -> None:
    big = "x" * 200_000
    batch = pa.RecordBatch.from_pydict(
        {"notes": ["small", big, "small"], ROW_COLUMN: [2, 3, 4]},
        schema=pa.schema([("notes", pa.string()), (ROW_COLUMN, pa.int64())]),
    )
    records = build_chunk_records(
        [batch],
        job_id="j",
        dataset="d",
        tenant="t",
        schema_version=1,
        max_bytes=50_000,
        compression=None,
    )
    with pytest.raises(ParseError, match=r"^row 3 is larger than the 48\.8 KiB limit"):
        list(records)


def test_empty_batches_make_no_chunks() -> None:
    empty = pa.RecordBatch.from_pydict(
        {ROW_COLUMN: []}, schema=pa.schema([(ROW_COLUMN, pa.int64())])
    )
    assert (
        list(
            build_chunk_records(
                [empty], job_id="j", dataset="d", tenant="t", schema_version=1, max_bytes=1000
            )
        )
        == []
    )


def test_the_typed_columns_header_lists_cells_only() -> None:
    # a typed column, and a text column with the marks of its number cells beside it
    batch = pa.RecordBatch.from_pydict(
        {
            "quantity": [2.0, 3.0],
            "amount": ["3.01", "3,01"],
            ROW_COLUMN: [2, 3],
            number_cells_column("amount"): [True, False],
        }
    )
    ((headers, payload),) = build_chunk_records(
        [batch], job_id="j", dataset="d", tenant="t", schema_version=1, max_bytes=10_000
    )
    assert headers.typed_columns == ("quantity",)
    assert decode_batch(payload).column(number_cells_column("amount")).to_pylist() == [True, False]
