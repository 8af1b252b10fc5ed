"""One odd cell is one odd value in its row, never a failed file: on both XLSX paths and in
JSON Lines, each odd shape next to valid cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from producer.readers import open_reader
from producer.readers.base import ReaderLimits
from producer.readers.cell_text import format_text
from schemas.dataset import Dataset, parse_dataset
from schemas.errors import ParseError
from tests.support.cell_text import as_cell_text
from tests.unit.producer.readers.xlsx.test_reader import patch_member, write_book


@pytest.fixture()
def dataset() -> Dataset:
    columns = [
        {"name": "order_id", "type": "integer"},
        {"name": "ordered_at", "type": "datetime"},
        {"name": "notes", "type": "string"},
    ]
    return parse_dataset({"name": "odd", "columns": columns})


def rows(path: Path, dataset: Dataset) -> list[dict]:
    reader = open_reader(path, dataset, 100, limits=ReaderLimits())
    try:
        return [r for b in reader.batches() for r in as_cell_text(b).to_pylist()]
    finally:
        reader.close()


def test_an_impossible_date_text_is_kept_as_written(tmp_path: Path, dataset: Dataset) -> None:
    cells = [dt.datetime(2024, 3, 1, 10), "2024-02-31 25:61:00", "2024-03-01 10:00:00", "x" * 5000]
    path = write_book(
        tmp_path / "t.xlsx", [["order_id", "ordered_at", "notes"]] + [[1, c, None] for c in cells]
    )
    got = [r["ordered_at"] for r in rows(path, dataset)]
    assert got == ["2024-03-01T10:00:00", "2024-02-31 25:61:00", "2024-03-01T10:00:00", "x" * 5000]


def test_cell_text_rules_never_raise_on_odd_values() -> None:
    assert format_text("2024-02-31 25:61:00") == "2024-02-31 25:61:00"
    assert format_text("9999-99-99 99:99:99.999") == "9999-99-99 99:99:99.999"


def test_odd_number_and_date_cells_in_xlsx(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(tmp_path / "t.xlsx", [["order_id", "ordered_at", "notes"], [1, None, True]])
    odd_rows = (
        b'<row r="3"><c r="A3"><v>abc</v></c></row>'
        b'<row r="4"><c r="A4"><v>2</v></c><c r="C4" t="b"><v>0</v></c></row>'
        b'<row r="5"><c r="A5"><v>3</v></c><c r="B5" t="d"><v>not-a-date</v></c></row>'
    )
    patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", odd_rows + b"</sheetData>"),
    )
    got = [(r["order_id"], r["ordered_at"], r["notes"]) for r in rows(path, dataset)]
    assert got == [
        ("1", None, "TRUE"),
        ("abc", None, None),
        ("2", None, "FALSE"),
        ("3", "not-a-date", None),
    ]


def test_a_boolean_cell_that_is_no_boolean_is_refused_by_name(
    tmp_path: Path, dataset: Dataset
) -> None:
    # the XLSX reader stops at a t="b" cell holding neither 0 nor 1 (calamine's whole-sheet
    # reader takes it for TRUE)
    path = write_book(tmp_path / "t.xlsx", [["order_id", "ordered_at", "notes"], [1, None, True]])
    patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="3"><c r="C3" t="b"><v>maybe</v></c></row></sheetData>'
        ),
    )
    with pytest.raises(ParseError, match=r"cannot be read: cell C3 holds \"maybe\", not a boolean"):
        rows(path, dataset)


def test_jsonl_huge_integers_and_lone_surrogates_stay_one_row_each(
    tmp_path: Path, dataset: Dataset
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"order_id": 1, "notes": "fine"}\n'
        '{"order_id": ' + "9" * 5000 + ', "notes": "huge"}\n'
        '{"order_id": 3, "notes": "bad \\ud800 half"}\n'
        '{"order_id": NaN, "notes": "nan"}\n'
    )
    reader = open_reader(path, dataset, 100)
    got = [(r["order_id"], r["notes"]) for b in reader.batches() for r in b.to_pylist()]
    reader.close()
    assert got == [("1", "fine"), ("9" * 5000, "huge"), ("3", "bad \ufffd half"), ("nan", "nan")]
