"""The streaming CSV reader: encodings, delimiters, row numbers, errors a person can read."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pytest

from producer.readers import open_reader
from producer.readers.base import ReaderLimits
from producer.readers.csv import CsvReader
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError
from schemas.settings import packaged_datasets_dir

HEADER = "order_id,customer_email,ordered_at,notes\n"


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def read_all(path: Path, dataset: Dataset, chunk_rows: int = 1000, **kw: object) -> pa.Table:
    reader = open_reader(path, dataset, chunk_rows, **kw)  # type: ignore[arg-type]
    try:
        batches = list(reader.batches())
    finally:
        reader.close()
    assert all(b.num_rows <= chunk_rows for b in batches)
    return pa.Table.from_batches(batches) if batches else pa.table({})


def write(tmp_path: Path, data: str | bytes, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


SAMPLE = (
    "Order ID;Customer E-mail;ORDERED_AT;Notes;Extra\n"
    '1;a@x.io;2024-01-01T10:00:00;"two\nlines, é";x\n'
    "2;b@x.io;2024-01-02T10:00:00;€ 5;\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252"])
def test_every_encoding_reads_the_same_rows(tmp_path: Path, orders: Dataset, encoding: str) -> None:
    data = SAMPLE.encode(encoding)
    if encoding.startswith("utf-16"):
        data = ("\ufeff" + SAMPLE).encode(encoding)
    table = read_all(write(tmp_path, data), orders)
    assert table.column_names == ["order_id", "customer_email", "ordered_at", "notes", ROW_COLUMN]
    assert table.column("notes").to_pylist() == ["two\nlines, é", "€ 5"]
    assert table.column("order_id").to_pylist() == ["1", "2"]  # no BOM glued to the header
    assert table.column(ROW_COLUMN).to_pylist() == [2, 3]


def test_declared_encoding_is_used(tmp_path: Path, orders: Dataset) -> None:
    path = write(tmp_path, (HEADER + "1,a@x.io,2024-01-01,Größe\n").encode("latin-1"))
    table = read_all(path, orders, encoding="latin-1")
    assert table.column("notes").to_pylist() == ["Größe"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter(tmp_path: Path, orders: Dataset, delimiter: str) -> None:
    rows = [["order_id", "email", "ordered_at", "amount"], ["7", "q@x.io", "2024-05-05", "1.5"]]
    path = write(tmp_path, "".join(delimiter.join(r) + "\r\n" for r in rows))
    table = read_all(path, orders)
    assert table.to_pylist() == [
        {
            "order_id": "7",
            "customer_email": "q@x.io",
            "ordered_at": "2024-05-05",
            "amount": "1.5",
            ROW_COLUMN: 2,
        }
    ]


def test_row_numbers_count_records_and_skip_blank_rows(tmp_path: Path, orders: Dataset) -> None:
    text = (
        HEADER
        + '1,a@x.io,2024-01-01,"line one\nline two\nline three"\n'  # row 2, three lines
        + "\n"  # row 3: empty
        + "   \n"  # row 4: whitespace only
        + ",,,\n"  # row 5: all cells empty
        + ", , ,\t\n"  # row 6: all cells blank
        + "2,b@x.io,2024-01-02,\n"  # row 7
    )
    table = read_all(write(tmp_path, text), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [2, 7]
    assert table.column("notes").to_pylist() == ["line one\nline two\nline three", None]


def test_empty_strings_are_null(tmp_path: Path, orders: Dataset) -> None:
    table = read_all(write(tmp_path, HEADER + '1,,"",x\n'), orders)
    assert table.to_pylist()[0]["customer_email"] is None
    assert table.to_pylist()[0]["ordered_at"] is None


def test_unknown_columns_are_reported_and_dropped(tmp_path: Path, orders: Dataset) -> None:
    path = write(tmp_path, "order_id,Colour,email,ordered_at,Colour\n1,red,a@x.io,2024,blue\n")
    reader = open_reader(path, orders, 10)
    assert reader.mapping.unknown_columns == ["Colour"]
    batch = next(reader.batches())
    assert batch.schema.names == ["order_id", "customer_email", "ordered_at", ROW_COLUMN]
    reader.close()


def test_a_row_with_text_only_in_unknown_columns_is_kept(tmp_path: Path, orders: Dataset) -> None:
    table = read_all(write(tmp_path, "order_id,email,ordered_at,Colour\n,,,red\n"), orders)
    assert table.num_rows == 1  # sent, so validation reports it instead of it vanishing


def test_missing_required_column_fails_before_any_batch(tmp_path: Path, orders: Dataset) -> None:
    path = write(tmp_path, "email,ordered_at\na@x.io,2024\n")
    with pytest.raises(ParseError) as caught:
        open_reader(path, orders, 10)
    # the same reason as a sheet's: the closest row, what it maps and what it lacks
    assert str(caught.value) == (
        "no header row in the first 50 rows of the file maps the required columns order_id, "
        "customer_email, ordered_at; the closest is row 1 (customer_email, ordered_at), which "
        "lacks order_id"
    )


def test_header_only_file_gives_zero_batches(tmp_path: Path, orders: Dataset) -> None:
    reader = open_reader(write(tmp_path, HEADER), orders, 10)
    assert list(reader.batches()) == []


def test_empty_file(tmp_path: Path, orders: Dataset) -> None:
    with pytest.raises(ParseError, match=r"^the file is empty$"):
        CsvReader(write(tmp_path, b""), orders, 10)


def test_too_many_fields_names_the_row(tmp_path: Path, orders: Dataset) -> None:
    path = write(tmp_path, HEADER + "1,a,b,c\n" + '2,"x\ny",b,c\n' + "3,a,b,c,d\n")
    with pytest.raises(ParseError, match=r"^row 4 has 5 fields, the header has 4"):
        read_all(path, orders)


def test_a_quote_never_closed_in_the_last_column_fails_instead_of_taking_the_rest(
    tmp_path: Path, orders: Dataset
) -> None:
    # pyarrow read rows 3 and 4 into row 2's notes, and the file "completed" with 2 rows
    rows = ["1,a@x.io,2024-01-01,ok", '2,b@x.io,2024-01-02,"5 inch', "3,c@x.io,2024-01-03,x"]
    path = write(tmp_path, HEADER + "\n".join([*rows, "4,d@x.io,2024-01-04,y"]) + "\n")
    with pytest.raises(ParseError) as refused:
        read_all(path, orders)
    assert str(refused.value) == (
        "row 3: a quote opened in its last cell is never closed, so all 2 lines after it would "
        "be read into that cell; close the quote or remove it, and upload the file again"
    )
    path = write(tmp_path, HEADER + "\n".join(rows))  # no line break at the end
    with pytest.raises(ParseError, match=r"^row 3: .* so the line after it would be read"):
        read_all(path, orders)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
def test_closed_quotes_and_quotes_inside_a_cell_are_read_as_written(
    tmp_path: Path, orders: Dataset, encoding: str
) -> None:
    text = HEADER + '1,a@x.io,2024-01-01,5" screen\n2,b@x.io,2024-01-02,"two\nlines"\r\n\n'
    bom = "\ufeff" if encoding == "utf-16-le" else ""
    table = read_all(write(tmp_path, (bom + text).encode(encoding)), orders)
    assert table.column("notes").to_pylist() == ['5" screen', "two\nlines"]


def test_ten_thousand_columns_fail_quickly(tmp_path: Path, orders: Dataset) -> None:
    header = ",".join(["order_id", "email", "ordered_at"] + [f"c{i}" for i in range(10_000)])
    start = time.perf_counter()
    with pytest.raises(ParseError, match="10003 columns, more than the limit of 1000"):
        open_reader(write(tmp_path, header + "\n1,2,3\n"), orders, 10)
    assert time.perf_counter() - start < 2


def test_a_50_mb_line_fails_fast(tmp_path: Path, orders: Dataset) -> None:
    path = tmp_path / "long.csv"
    with path.open("wb") as f:
        f.write((HEADER + "1,a,b,c\n" * 3).encode())
        f.write(b"2,a,b," + b"x" * 50_000_000 + b"\n")
    start = time.perf_counter()
    with pytest.raises(ParseError, match=r"^row 5 is longer than the 1 MiB limit for one line"):
        read_all(path, orders)
    assert time.perf_counter() - start < 3


def test_a_huge_header_line_fails_fast(tmp_path: Path, orders: Dataset) -> None:
    path = write(tmp_path, b"order_id," + b"x" * 5_000_000 + b"\n1,2\n")
    with pytest.raises(ParseError, match=r"^line 1 \(the header row\) is longer than the 1 MiB"):
        open_reader(path, orders, 10)


def test_an_unclosed_quote_is_explained(tmp_path: Path, orders: Dataset) -> None:
    limits = ReaderLimits(max_cell_bytes=64 * 1024)
    path = write(tmp_path, HEADER + '1,a,b,"oops\n' + "2,a,b,c\n" * 20_000)
    with pytest.raises(ParseError, match=r"row 2 is longer than the 64 KiB .*quote"):
        read_all(path, orders, limits=limits)


def test_invalid_utf8_after_the_sample_is_a_parse_error(tmp_path: Path, orders: Dataset) -> None:
    body = "1,a@x.io,2024-01-01,ok\n" * 60_000  # beyond the bytes sniffed for the encoding
    path = write(tmp_path, (HEADER + body).encode() + b"2,a,\xff\xfe,c\n")
    with pytest.raises(ParseError, match=r"^the file is not valid UTF-8 text"):
        read_all(path, orders)


def test_binary_junk_with_a_csv_name(tmp_path: Path, orders: Dataset) -> None:
    import random

    path = write(tmp_path, random.Random(2).randbytes(10_000))
    with pytest.raises(ParseError, match="not a supported file"):
        open_reader(path, orders, 10)


def test_a_csv_that_is_really_a_zip(tmp_path: Path, orders: Dataset) -> None:
    import zipfile

    path = tmp_path / "orders.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("orders.csv", HEADER)
    with pytest.raises(ParseError, match="not a supported file: a zip archive"):
        open_reader(path, orders, 10)


def test_declared_format_must_match_the_content(tmp_path: Path, orders: Dataset) -> None:
    path = write(tmp_path, HEADER + "1,a,b,c\n", name="orders.xlsx")
    with pytest.raises(ParseError, match=r"^the file's content is csv, not xlsx$"):
        open_reader(path, orders, 10, file_format="xlsx")


def test_exact_chunk_rows_across_blocks(tmp_path: Path, orders: Dataset) -> None:
    n = 25_001
    lines = "".join(f"{i},u{i}@x.io,2024-01-01,n{i}\n" for i in range(n))
    # a small block size makes pyarrow hand out many odd-sized batches to re-batch
    limits = ReaderLimits(max_cell_bytes=64 * 1024)
    reader = open_reader(write(tmp_path, HEADER + lines), orders, 1000, limits=limits)
    sizes = [b.num_rows for b in reader.batches()]
    assert sizes == [1000] * 25 + [1]
    table = read_all(tmp_path / "orders.csv", orders, 1000, limits=limits)
    assert table.column(ROW_COLUMN).to_pylist() == list(range(2, n + 2))
    assert table.column("order_id").to_pylist()[-1] == str(n - 1)


def test_batches_can_be_read_twice_from_one_reader(tmp_path: Path, orders: Dataset) -> None:
    reader = CsvReader(write(tmp_path, HEADER + "1,a,b,c\n\n2,a,b,c\n"), orders, 10)
    first = [b.to_pylist() for b in reader.batches()]
    assert first == [b.to_pylist() for b in reader.batches()]
    assert [r[ROW_COLUMN] for r in first[0]] == [2, 4]
    reader.close()
