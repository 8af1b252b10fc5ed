"""CSV files whose header is not the first line: title lines, notes and blank lines above it
are skipped as in a sheet, and row numbers stay the file's own record numbers."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from producer.readers import open_reader
from producer.readers.base import ReaderLimits
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError, ParseErrorKind
from schemas.settings import packaged_datasets_dir

HEADER = "order_id,customer_email,ordered_at,notes\n"


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def read(path: Path, dataset: Dataset, **kw: object) -> pa.Table:
    reader = open_reader(path, dataset, 1000, **kw)  # type: ignore[arg-type]
    try:
        return pa.Table.from_batches(list(reader.batches()))
    finally:
        reader.close()


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "orders.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_title_and_blank_lines_above_the_header(tmp_path: Path, orders: Dataset) -> None:
    text = (
        "Orders export\n"  # row 1
        "Generated 2024-03-01, by the shop\n"  # row 2: a comma, yet no header
        "\n"  # row 3
        + HEADER  # row 4
        + "1,a@x.io,2024-01-01,first\n"  # row 5
        + "\n"  # row 6
        + "2,b@x.io,2024-01-02,\n"  # row 7
    )
    table = read(write(tmp_path, text), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [5, 7]
    assert table.column("order_id").to_pylist() == ["1", "2"]
    assert table.column("notes").to_pylist() == ["first", None]


def test_a_quoted_note_spanning_lines_above_the_header(tmp_path: Path, orders: Dataset) -> None:
    text = (
        '"Read me:\nfill one order per row\nand keep the columns"\n'  # row 1, three lines
        "\n"  # row 2
        + HEADER  # row 3
        + '1,a@x.io,2024-01-01,"two\nlines"\n'  # row 4
        + "2,b@x.io,2024-01-02,x\n"  # row 5
    )
    table = read(write(tmp_path, text), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [4, 5]
    assert table.column("notes").to_pylist() == ["two\nlines", "x"]


def test_semicolons_under_a_title_without_any(tmp_path: Path, orders: Dataset) -> None:
    text = "Orders of March\n\nOrder ID;Customer E-mail;ORDERED_AT\n7;a@x.io;2024-03-01\n"
    table = read(write(tmp_path, text, "cp1252"), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [4]
    assert table.column("customer_email").to_pylist() == ["a@x.io"]


def test_a_bad_row_below_a_title_is_named_by_its_row(tmp_path: Path, orders: Dataset) -> None:
    text = "Title\n\n" + HEADER + "1,a,b,c\n" + "2,a,b,c,d\n"
    with pytest.raises(ParseError, match=r"^row 5 has 5 fields, the header has 4"):
        read(write(tmp_path, text), orders)


def test_utf16_with_a_title_line(tmp_path: Path, orders: Dataset) -> None:
    text = "\ufeffÜbersicht\n" + HEADER + "1,a@x.io,2024-01-01,Größe\n"
    table = read(write(tmp_path, text, "utf-16-le"), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [3]
    assert table.column("notes").to_pylist() == ["Größe"]


def test_a_header_below_row_50_is_not_found(tmp_path: Path, orders: Dataset) -> None:
    text = "note\n" * 50 + HEADER + "1,a@x.io,2024-01-01,x\n"
    with pytest.raises(ParseError) as caught:
        open_reader(write(tmp_path, text), orders, 10)
    assert caught.value.kind == ParseErrorKind.MISSING_COLUMNS
    assert str(caught.value) == (
        "no header row in the first 50 rows of the file maps the required columns order_id, "
        "customer_email, ordered_at; no row there names any of them (row 1 holds 'note')"
    )


def test_the_closest_row_is_named(tmp_path: Path, orders: Dataset) -> None:
    text = "Orders\n\norder_id,Client,ordered_at\n1,a@x.io,2024-01-01\n"
    with pytest.raises(ParseError, match=r"the closest is row 3 \(order_id, ordered_at\), which"):
        open_reader(write(tmp_path, text), orders, 10)


def test_only_empty_cells_is_an_empty_file(tmp_path: Path, orders: Dataset) -> None:
    with pytest.raises(ParseError, match=r"^the file is empty: it has no header row$") as caught:
        open_reader(write(tmp_path, ",,,\n,,\n"), orders, 10)
    assert caught.value.kind == ParseErrorKind.EMPTY


def test_a_title_line_longer_than_the_line_limit(tmp_path: Path, orders: Dataset) -> None:
    limits = ReaderLimits(max_cell_bytes=64 * 1024)
    text = "Title\n" + "x" * 100_000 + "\n" + HEADER
    with pytest.raises(ParseError, match=r"^row 2 is longer than the 64 KiB limit") as caught:
        open_reader(write(tmp_path, text), orders, 10, limits=limits)
    assert caught.value.kind == ParseErrorKind.TOO_LARGE
