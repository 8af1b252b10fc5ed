"""Rows with more fields than the header, as exporters write them that end every row with a
delimiter: the empty extra fields are read past, a value in one fails the file naming its
row, since it has no column to go to."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from producer.readers.csv_head import HeadText
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset
from schemas.errors import ParseError
from tests.unit.producer.readers.test_csv_reader import HEADER, orders, read_all, write

__all__ = ["orders"]  # the fixture, used by name


def rows(count: int, first: int = 1, end: str = ",") -> str:
    return "".join(f"{i},u{i}@x.io,2024-01-02,note {i}{end}\n" for i in range(first, first + count))


def test_a_delimiter_ending_every_row_reads_the_rows(tmp_path: Path, orders: Dataset) -> None:
    # the header has 4 fields, every row 5: before, "row 2 has 5 fields" failed the file
    table = read_all(write(tmp_path, HEADER + rows(3)), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [2, 3, 4]
    assert table.column("notes").to_pylist() == ["note 1", "note 2", "note 3"]


def test_row_numbers_count_titles_blank_lines_and_quoted_line_breaks(
    tmp_path: Path, orders: Dataset
) -> None:
    text = (
        "Orders\n\n"
        + HEADER
        + '\n1,a@x.io,2024-01-02,"two\nlines",\n,,,,\n3,c@x.io,2024-01-03,x,\n'
    )
    table = read_all(write(tmp_path, text), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [5, 7]
    assert table.column("notes").to_pylist() == ["two\nlines", "x"]


def test_a_value_past_the_header_fails_the_file_naming_its_row(
    tmp_path: Path, orders: Dataset
) -> None:
    # past the head the reader sniffs (one 64 KiB block), in the chunk it is found in
    text = HEADER + rows(3000) + "3001,late@x.io,2024-01-02,x,where does this go\n"
    with pytest.raises(
        ParseError,
        match=r"^row 3002 has a value in field 5, past the header's 4 columns: give that "
        r"column a header or remove the value",
    ):
        read_all(write(tmp_path, text), orders)


def test_a_row_without_the_extra_field_names_the_count_of_the_rows_above(
    tmp_path: Path, orders: Dataset
) -> None:
    text = HEADER + rows(3000) + rows(1, first=3001, end="")
    with pytest.raises(
        ParseError,
        match=r"^row 3002 has 4 fields, the rows above it have 5 \(the header's 4 and 1 more\)",
    ):
        read_all(write(tmp_path, text), orders)


def test_rows_of_differing_counts_in_the_head_are_not_read_past(
    tmp_path: Path, orders: Dataset
) -> None:
    text = HEADER + rows(1) + rows(1, first=2, end="")
    with pytest.raises(ParseError, match=r"^row 2 has 5 fields, the header has 4"):
        read_all(write(tmp_path, text), orders)


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("a,b\n1,2,\n3,4,\n", 3),
        ("a,b\n1,2,,\n\n3,4,,\n", 4),
        ("a,b\n1,2\n", 2),
        ("a,b\n1,2,\n3,4\n", None),
        ("a,b\n", None),
        ("a,b\n1\n", 1),
    ],
)
def test_data_width_of_the_head(text: str, width: int | None) -> None:
    head = HeadText(text, truncated=False, limit=1 << 16)
    assert head.data_width(",", 1) == width


def test_a_record_cut_at_the_end_of_the_head_ends_the_count() -> None:
    # the head is one block of the file: its last record may go on past it
    head = HeadText("a,b\n1,2,\n3,4,\n5,", truncated=True, limit=16)
    assert head.data_width(",", 1) == 3


def test_a_delimiter_closing_only_the_header_is_read_past(tmp_path: Path, orders: Dataset) -> None:
    # 'order_id,…,notes,' over rows of 4 fields: "row 2 has 4 fields, the header has 5"
    text = HEADER.rstrip("\n") + ",\n" + rows(3, end="")
    table = read_all(write(tmp_path, text), orders)
    assert table.column(ROW_COLUMN).to_pylist() == [2, 3, 4]
    assert table.column("notes").to_pylist() == ["note 1", "note 2", "note 3"]
    # a header name there is a column the rows lack: the old reason stands
    named = HEADER.rstrip("\n") + ",extra\n" + rows(3, end="")
    with pytest.raises(ParseError, match=r"^row 2 has 4 fields, the header has 5"):
        read_all(write(tmp_path, named, "named.csv"), orders)


def test_the_table_is_the_same_as_without_the_delimiters(tmp_path: Path, orders: Dataset) -> None:
    ended = read_all(write(tmp_path, HEADER + rows(2500), "ended.csv"), orders, 1000)
    plain = read_all(write(tmp_path, HEADER + rows(2500, end=""), "plain.csv"), orders, 1000)
    assert ended.equals(plain) and isinstance(ended, pa.Table)
