"""The Rust XLSX reader (bulkflow_xlsx through producer/readers/xlsx_sheet.py), cell for cell
against openpyxl on workbooks openpyxl writes."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from files.workbook import NOT_XLSX
from producer.readers.base import ReaderLimits
from producer.readers.sax import ENTITIES
from producer.readers.xlsx import sheet as xlsx_sheet
from schemas.errors import ParseError

# the producer needs the extension: a machine without it fails here, it does not skip

Cells = dict[tuple[int, int], Any]


def python_value(cell: dict[str, Any]) -> Any:
    """A struct cell as the Python value openpyxl gives for it."""
    kind = cell["kind"]
    if kind == xlsx_sheet.KIND_DATETIME and cell["float"] < 1:
        return cell["datetime"].time()  # a time of day: openpyxl gives a time, not a date
    field = {
        xlsx_sheet.KIND_FLOAT: "float",
        xlsx_sheet.KIND_INT: "int",
        xlsx_sheet.KIND_BOOL: "bool",
        xlsx_sheet.KIND_STRING: "text",
        xlsx_sheet.KIND_DATETIME: "datetime",
        xlsx_sheet.KIND_ERROR: "text",
        xlsx_sheet.KIND_ISO_TEXT: "text",
        xlsx_sheet.KIND_DURATION: "duration",
    }[kind]
    return cell[field]


def rust_cells(path: Path, sheet: str | None = None, batch_rows: int = 1000) -> Cells:
    cells: Cells = {}
    with xlsx_sheet.XlsxSheet(path, sheet, batch_rows) as reader:
        for batch in reader.batches():
            assert 1 <= batch.rows.num_rows <= batch_rows
            for i, row in enumerate(batch.rows.to_pylist()):
                for name, cell in row.items():
                    if cell["kind"] != xlsx_sheet.KIND_EMPTY:
                        col = openpyxl.utils.column_index_from_string(name) - 1
                        cells[(batch.first_row + i, col)] = python_value(cell)
    return cells


def openpyxl_cells(path: Path, sheet: str | None = None) -> Cells:
    book = openpyxl.load_workbook(path, data_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    return {
        (cell.row - 1, cell.column - 1): cell.value
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    }


ROWS: list[list[Any]] = [
    ["text", "int", "float", "bool", "date", "datetime", "error", "time", "duration"],
    [
        "alpha",
        42,
        3.25,
        True,
        dt.date(2024, 2, 29),
        dt.datetime(2023, 12, 31, 23, 59, 59),
        "#DIV/0!",
        dt.time(12, 30),
        dt.timedelta(hours=30, seconds=1),
    ],
    [],
    [
        "café & 日本 <x>",
        -7,
        1e-7,
        False,
        dt.date(1999, 1, 1),
        dt.datetime(2024, 6, 1, 0, 0, 0, 5000),
        "#N/A",
        dt.time(0, 0, 1),
        dt.timedelta(minutes=5),
    ],
    ["gap", None, None, True, None, None, "#REF!"],
    [],
    [],
    [None, 10**15, -2.5e300, None, None, None, None, None, None, "far right"],
]


def write_book(path: Path, rows: list[list[Any]], write_only: bool, epoch1904: bool) -> Path:
    book = openpyxl.Workbook(write_only=write_only)
    if epoch1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.create_sheet("data") if write_only else book.active
    sheet.title = "data"
    for row in rows:
        sheet.append(row)
    book.create_sheet("other").append(["x"])
    book.save(path)
    return path


@pytest.mark.parametrize("write_only", [False, True], ids=["shared-strings", "inline-strings"])
@pytest.mark.parametrize("epoch1904", [False, True], ids=["1900", "1904"])
@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
def test_every_kind_agrees_with_openpyxl(
    tmp_path: Path, write_only: bool, epoch1904: bool, batch_rows: int
) -> None:
    path = write_book(tmp_path / "k.xlsx", ROWS, write_only, epoch1904)
    got = rust_cells(path, "data", batch_rows)
    assert got == openpyxl_cells(path, "data")
    assert got[(1, 0)] == "alpha" and got[(1, 1)] == 42 and isinstance(got[(1, 1)], int)
    assert got[(1, 4)] == dt.datetime(2024, 2, 29)
    assert got[(3, 5)] == dt.datetime(2024, 6, 1, 0, 0, 0, 5000)
    assert got[(1, 6)] == "#DIV/0!"
    assert got[(1, 8)] == dt.timedelta(hours=30, seconds=1)
    assert got[(7, 9)] == "far right"


def test_blank_rows_inside_a_batch_keep_the_sheet_row_numbers(tmp_path: Path) -> None:
    path = write_book(tmp_path / "b.xlsx", ROWS, write_only=False, epoch1904=False)
    with xlsx_sheet.XlsxSheet(path, "data", batch_rows=5) as reader:
        assert reader.sheet_names == ["data", "other"] and not reader.is_1904
        batches = list(reader.batches())
    assert [(b.first_row, b.rows.num_rows) for b in batches] == [(0, 5), (7, 1)]
    first = batches[0].rows
    # as wide as the widest row seen so far: J first appears in the second batch
    assert first.schema.names == list("ABCDEFGHI")
    assert batches[1].rows.schema.names == list("ABCDEFGHIJ")
    assert first.column("A").field("kind").to_pylist() == [4, 4, 0, 4, 4]
    assert first.column("A").field("text").to_pylist() == [
        "text",
        "alpha",
        None,
        "café & 日本 <x>",
        "gap",
    ]
    assert batches[1].rows.column("J").field("text").to_pylist() == ["far right"]


def test_serials_below_60_follow_excels_1900_calendar(tmp_path: Path) -> None:
    rows = [[dt.date(1900, 1, 1)], [dt.date(1900, 2, 28)], [dt.date(1900, 3, 1)]]
    path = write_book(tmp_path / "d.xlsx", rows, write_only=False, epoch1904=False)
    assert rust_cells(path, "data") == openpyxl_cells(path, "data")
    assert rust_cells(path, "data")[(0, 0)] == dt.datetime(1900, 1, 1)


def rewrite_sheet(path: Path, replacements: dict[str, str]) -> Path:
    """The same workbook with its first sheet's XML edited (openpyxl cannot write cached
    formula values)."""
    out = path.with_name("edited-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for old, new in replacements.items():
                    assert old in text, old
                    text = text.replace(old, new)
                data = text.encode()
            dst.writestr(info, data)
    return out


def test_formulas_give_their_cached_values(tmp_path: Path) -> None:
    rows = [[2, "=A1*2", "=1/0", '="a"&"b"', "=A1>1", "=A1/3"]]
    path = write_book(tmp_path / "f.xlsx", rows, write_only=False, epoch1904=False)
    path = rewrite_sheet(
        path,
        {
            '<c r="B1"><f>A1*2</f><v /></c>': '<c r="B1"><f>A1*2</f><v>4</v></c>',
            '<c r="C1"><f>1/0</f><v /></c>': '<c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            '<c r="D1"><f>"a"&amp;"b"</f><v /></c>': '<c r="D1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>',
            '<c r="E1"><f>A1&gt;1</f><v /></c>': '<c r="E1" t="b"><f>A1&gt;1</f><v>1</v></c>',
            '<c r="F1"><f>A1/3</f><v /></c>': '<c r="F1"><f>A1/3</f><v>0.66666666666666663</v></c>',
        },
    )
    got = rust_cells(path, "data")
    assert got == {
        (0, 0): 2,
        (0, 1): 4,
        (0, 2): "#DIV/0!",
        (0, 3): "ab",
        (0, 4): True,
        (0, 5): 2 / 3,
    }
    assert got == openpyxl_cells(path, "data")


def test_first_sheet_by_default_and_a_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = write_book(tmp_path / "s.xlsx", ROWS, write_only=False, epoch1904=False)
    with xlsx_sheet.XlsxSheet(path) as reader:
        assert reader.sheet == "data"
    with pytest.raises(ParseError, match="no sheet named 'nope'; its sheets are: 'data', 'other'"):
        xlsx_sheet.XlsxSheet(path, "nope")
    import bulkflow_xlsx

    with pytest.raises(bulkflow_xlsx.XlsxReadError, match='its sheets are: "data", "other"'):
        bulkflow_xlsx.open(str(path), "nope")


def test_the_guard_runs_first(tmp_path: Path) -> None:
    path = write_book(tmp_path / "e.xlsx", ROWS, write_only=False, epoch1904=False)
    evil = rewrite_sheet(path, {"<worksheet": '<!DOCTYPE x [<!ENTITY a "b">]><worksheet'})
    with pytest.raises(ParseError, match=ENTITIES):
        xlsx_sheet.XlsxSheet(evil)
    (tmp_path / "n.xlsx").write_bytes(b"name,age\n")
    with pytest.raises(ParseError, match=NOT_XLSX):
        xlsx_sheet.XlsxSheet(tmp_path / "n.xlsx")


def test_damaged_sheet_xml_and_too_many_columns_are_parse_errors(tmp_path: Path) -> None:
    path = write_book(tmp_path / "x.xlsx", ROWS, write_only=False, epoch1904=False)
    broken = rewrite_sheet(path, {"</sheetData>": "<row><c><v>1</v></row></sheetData>"})
    with pytest.raises(ParseError, match="cannot be read"), xlsx_sheet.XlsxSheet(broken) as r:
        list(r.batches())
    narrow = ReaderLimits(max_columns=5)
    with (
        pytest.raises(ParseError, match="cell F1 lies beyond the limit of 5 columns"),
        xlsx_sheet.XlsxSheet(path, "data", limits=narrow) as reader,
    ):
        list(reader.batches())


def test_column_names_are_excel_letters() -> None:
    assert [xlsx_sheet.column_name(i) for i in (0, 25, 26, 701, 702, 16383)] == [
        "A",
        "Z",
        "AA",
        "ZZ",
        "AAA",
        "XFD",
    ]


def test_common_and_unusual_cell_shapes_read_alike(tmp_path: Path) -> None:
    """The scanner reads the usual cell shapes in one pass and the rest token by token;
    each pair of cells here is the same value in both spellings."""
    path = write_book(tmp_path / "s.xlsx", [["x"]], write_only=False, epoch1904=False)
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    start, end = sheet.index("<sheetData"), sheet.index("</sheetData>") + len("</sheetData>")
    data = (
        "<sheetData>"
        '<row r="1"><c r="A1" t="inlineStr"><is><t> a &amp; b_x000D_ </t></is></c>'
        '<c r="B1" t="inlineStr"><is><t xml:space="default"> a &amp; b_x000D_ </t></is></c>'
        '<c r="C1"><v>42</v></c><c r="D1" cm="1"><v>42</v></c>'
        '<c r="E1" t="b"><v>1</v></c><c r=\'F1\' t="b"><v>1</v></c>'
        '<c r="G1" t="inlineStr"/><c r="H1"><v>2.5</v></c>'
        "<c><v>2.5</v></c></row>"
        "<row><c t=\"e\"><v>#N/A</v></c><c r='B2' t='e'><v>#N/A</v></c>"
        '<c r="C2" t="str"><v>&lt;f&gt;</v></c></row>'
        "</sheetData>"
    )
    edited = tmp_path / "shapes.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(edited, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = (sheet[:start] + data + sheet[end:]).encode()
            dst.writestr(info, body)
    assert rust_cells(edited) == {
        (0, 0): "a & b\r",
        (0, 1): "a & b\r",
        (0, 2): 42,
        (0, 3): 42,
        (0, 4): True,
        (0, 5): True,
        (0, 7): 2.5,
        (0, 8): 2.5,
        (1, 0): "#N/A",
        (1, 1): "#N/A",
        (1, 2): "<f>",
    }
