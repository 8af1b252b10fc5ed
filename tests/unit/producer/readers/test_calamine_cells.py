""".xls, .xlsb and .ods: typed cells as the XLSX reader types a whole-sheet chunk; .ods formula
errors named in their row rather than read as blank cells, and .ods merged cells warned of."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from producer.readers import open_reader
from producer.readers.ods_content import ods_error_cells, ods_merged_ranges
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, DatasetRegistry
from schemas.settings import packaged_datasets_dir
from tests.support.office_corpus import CORPUS_DIR


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def read(name: str, dataset: Dataset) -> pa.Table:
    reader = open_reader(CORPUS_DIR / name, dataset, 1000)
    try:
        return pa.Table.from_batches(list(reader.batches()))
    finally:
        reader.close()


def test_xlsb_numbers_and_booleans_stay_typed(orders: Dataset) -> None:
    table = read("xlsb_second_sheet_title.xlsb", orders)
    kinds = {f.name: f.type for f in table.schema}
    assert (kinds["order_id"], kinds["amount"], kinds["express"]) == (
        pa.int64(),
        pa.float64(),
        pa.bool_(),
    )
    assert kinds["ordered_at"] == pa.string()  # one impossible date among them: all as text
    assert table.column("order_id").to_pylist() == sorted(table.column("order_id").to_pylist())


def test_the_1904_xls_keeps_dates_and_booleans_typed(orders: Dataset) -> None:
    table = read("xls_title_merged_1904.xls", orders)
    assert pa.types.is_timestamp(table.schema.field("ordered_at").type)
    assert table.schema.field("express").type == pa.bool_()
    assert table.column(ROW_COLUMN).to_pylist()[0] == 4  # title, blank, header above


def test_an_ods_division_by_zero_is_named_in_its_row(orders: Dataset) -> None:
    table = read("ods_instructions_formulas.ods", orders)
    rows, cells = table.column(ROW_COLUMN).to_pylist(), table.column("amount").to_pylist()
    amounts = dict(zip(rows, cells, strict=True))
    assert amounts[10] == "#DIV/0!"
    assert amounts[18] == "#DIV/0!"  # the Total row sums over it
    assert amounts[2] == "1463.41"


def _ods(tmp_path: Path, rows: str) -> Path:
    ns = (
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
    )
    content = (
        f"<office:document-content {ns}><office:body><office:spreadsheet>"
        '<table:table table:name="Notes"><table:table-row><table:table-cell '
        'calcext:value-type="error"><text:p>#REF!</text:p></table:table-cell>'
        "</table:table-row></table:table>"
        f'<table:table table:name="Orders">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "book.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            "</manifest:manifest>",
        )
    return path


ERROR = '<table:table-cell calcext:value-type="error"><text:p>{}</text:p></table:table-cell>'
EMPTY = "<table:table-cell/>"


def test_error_cells_are_found_through_repeated_rows_and_columns(tmp_path: Path) -> None:
    rows = (
        f"<table:table-row>{EMPTY}{ERROR.format('#N/A')}</table:table-row>"  # row 1
        '<table:table-row table:number-rows-repeated="3"><table:table-cell/></table:table-row>'
        "<table:table-row>"  # row 5
        '<table:table-cell table:number-columns-repeated="2"/>'
        # a covered cell (under a merged one, as LibreOffice writes it) takes its column
        f"{ERROR.format('#DIV/0!')}<table:covered-table-cell/>{ERROR.format('#VALUE!')}"
        "</table:table-row>"
    )
    path = _ods(tmp_path, rows)
    wanted = [(1, 1), (5, 2), (5, 4), (5, 0), (3, 0)]
    assert ods_error_cells(path, "Orders", wanted) == {
        (1, 1): "#N/A",
        (5, 2): "#DIV/0!",
        (5, 4): "#VALUE!",
    }
    assert ods_error_cells(path, "Orders", []) == {}
    assert ods_error_cells(path, "Notes", [(1, 0)]) == {(1, 0): "#REF!"}


def _cell(text: str, attrs: str = "") -> str:
    return f'<table:table-cell office:value-type="string" {attrs}><text:p>{text}</text:p></table:table-cell>'


def test_an_ods_value_merged_down_a_column_is_a_warning(tmp_path: Path, orders: Dataset) -> None:
    header = "".join(_cell(h) for h in ("order_id", "customer_email", "ordered_at", "country"))
    rows = [f"<table:table-row>{header}</table:table-row>"]
    for n in (1, 2, 3):
        country = (
            _cell("DE", 'table:number-rows-spanned="3"')
            if n == 1
            else "<table:covered-table-cell/>"
        )
        cells = _cell(str(n)) + _cell(f"u{n}@example.com") + _cell(f"2026-01-0{n}")
        rows.append(f"<table:table-row>{cells}{country}</table:table-row>")
    path = _ods(tmp_path, "".join(rows))
    assert ods_merged_ranges(path, "Orders") == ([((1, 3), (3, 3))], 0)
    assert ods_merged_ranges(path, "Notes") == ([], 0)
    reader = open_reader(path, orders, 1000)
    try:
        table = pa.Table.from_batches(list(reader.batches()))
        assert table.column("country").to_pylist() == ["DE", None, None]
        assert reader.warnings() == [
            "cells D2:D4 (country) are merged and hold their value in D2 only, so rows 3–4 "
            "read no country: unmerge the cells, put the value in each of them, and upload "
            "the file again"
        ]
    finally:
        reader.close()
