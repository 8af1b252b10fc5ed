"""XLSX reader: cell text, row numbers, sheets, and the same cells as the calamine formats."""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from files.estimate import estimate_xlsx_rows
from producer.readers.base import ReaderLimits
from producer.readers.xlsx import open_xlsx_reader
from producer.readers.xlsx.reader import XlsxReader
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, parse_dataset
from schemas.errors import ParseError
from tests.support.calamine_reference import open_with_calamine
from tests.support.cell_text import as_cell_text

HEADER = ["order_id", "Customer E-mail", "amount", "ordered_at", "express", "notes"]


@pytest.fixture()
def dataset() -> Dataset:
    return parse_dataset(
        {
            "name": "orders",
            "columns": [
                {"name": "order_id", "type": "integer", "required": True},
                {"name": "customer_email", "type": "email", "aliases": ["Customer E-mail"]},
                {"name": "amount", "type": "decimal"},
                {"name": "ordered_at", "type": "datetime"},
                {"name": "express", "type": "boolean"},
                {"name": "notes", "type": "string"},
            ],
        }
    )


def write_book(path: Path, rows: list[list[Any]], title: str = "Orders") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def patch_member(path: Path, member: str, edit: Any) -> Path:
    """Rewrite one zip member through ``edit(bytes) -> bytes`` (to craft what openpyxl won't)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info, edit(data) if info.filename == member else data)
    return path


def read(path: Path, dataset: Dataset, chunk: int = 100, **kw: Any) -> Any:
    reader = open_xlsx_reader(path, dataset, chunk, **kw)
    try:
        return reader, list(reader.batches())
    finally:
        reader.close()


def read_with_calamine(path: Path, dataset: Dataset, chunk: int = 100, **kw: Any) -> Any:
    reader = open_with_calamine(path, dataset, chunk, **kw)
    try:
        return reader, list(reader.batches())
    finally:
        reader.close()


def rows_both_ways(path: Path, dataset: Dataset, chunk: int = 100, **kw: Any) -> list[dict]:
    """Rows of the XLSX reader, after checking calamine gives the same cells (calamine.py)."""
    xlsx, xlsx_batches = read(path, dataset, chunk, **kw)
    reference, reference_batches = read_with_calamine(path, dataset, chunk, **kw)
    assert isinstance(xlsx, XlsxReader)
    assert xlsx.mapping == reference.mapping
    # both keep typed cells typed (the XLSX reader decides per chunk); as text they agree
    xlsx_batches = [as_cell_text(b) for b in xlsx_batches]
    reference_batches = [as_cell_text(b) for b in reference_batches]
    assert [b.schema for b in xlsx_batches] == [b.schema for b in reference_batches]
    assert [b.to_pylist() for b in xlsx_batches] == [b.to_pylist() for b in reference_batches]
    return [row for batch in xlsx_batches for row in batch.to_pylist()]


def test_cells_read_as_a_person_sees_them(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(
        tmp_path / "t.xlsx",
        [
            HEADER,
            [42, "a@b.c", 12.5, dt.datetime(2024, 3, 1, 13, 45), True, None],
            [43.0, "x@y.z", 3.0, dt.datetime(2024, 3, 1), False, "   "],
            [1e15, None, 0.1 + 0.2, dt.datetime(2024, 3, 1, 13, 45, 30, 500000), None, "hi"],
            [-7, None, 1 / 3, dt.date(2024, 2, 29), None, 12.25],
        ],
    )
    rows = rows_both_ways(path, dataset)
    assert rows == [
        {
            "order_id": "42",
            "customer_email": "a@b.c",
            "amount": "12.5",
            "ordered_at": "2024-03-01T13:45:00",
            "express": "TRUE",
            "notes": None,
            ROW_COLUMN: 2,
        },
        {
            "order_id": "43",
            "customer_email": "x@y.z",
            "amount": "3",
            "ordered_at": "2024-03-01",
            "express": "FALSE",
            "notes": None,
            ROW_COLUMN: 3,
        },
        {
            "order_id": "1000000000000000",
            "customer_email": None,
            "amount": "0.3",
            "ordered_at": "2024-03-01T13:45:30.500",
            "express": None,
            "notes": "hi",
            ROW_COLUMN: 4,
        },
        {
            "order_id": "-7",
            "customer_email": None,
            "amount": "0.333333333",
            "ordered_at": "2024-02-29",
            "express": None,
            "notes": "12.25",
            ROW_COLUMN: 5,
        },
    ]


def test_mixed_columns_agree_with_calamine(tmp_path: Path, dataset: Dataset) -> None:
    # numbers, dates, bools and times among text: calamine renders these itself
    notes: list[Any] = ["text", 7, 2.5, True, dt.datetime(2024, 1, 2, 3, 4, 5), dt.time(13, 45)]
    notes += [dt.datetime(2024, 1, 2), "true", "2024-01-02 03:04:05"]
    path = write_book(
        tmp_path / "t.xlsx",
        [HEADER] + [[i, None, None, None, None, n] for i, n in enumerate(notes)],
    )
    got = [row["notes"] for row in rows_both_ways(path, dataset)]
    assert got == [
        "text",
        "7",
        "2.5",
        "TRUE",
        "2024-01-02T03:04:05",
        "13:45:00",
        "2024-01-02",
        "TRUE",
        "2024-01-02T03:04:05",
    ]


def test_calamine_agrees_on_a_bigger_sheet_in_exact_chunks(
    tmp_path: Path, dataset: Dataset
) -> None:
    rng = random.Random(5)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("orders")
    sheet.append(HEADER)
    for i in range(1, 1_501):
        sheet.append(
            [
                i,
                f"c{rng.randrange(99)}@example.com",
                round(rng.uniform(0, 500), 2) if i % 13 else rng.uniform(-1e9, 1e9),
                dt.datetime(2024, 1, 1) + dt.timedelta(seconds=rng.randrange(10**7)),
                rng.random() < 0.5,
                None if i % 3 else f"note {i}",
            ]
        )
        if i % 400 == 0:
            sheet.append([])  # a blank row: its number is skipped
    path = tmp_path / "big.xlsx"
    book.save(path)
    _, batches = read(path, dataset, chunk=250)
    assert [b.num_rows for b in batches] == [250] * 6
    rows = rows_both_ways(path, dataset, chunk=250)
    numbers = [r[ROW_COLUMN] for r in rows]
    assert numbers[:3] == [2, 3, 4] and numbers[-1] == 1_501 + 3
    assert 402 not in numbers and len(set(numbers)) == 1_500


def test_row_numbers_are_sheet_rows_even_off_the_corner(tmp_path: Path, dataset: Dataset) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for col, name in enumerate(["order_id", "notes", "colour"], start=3):
        sheet.cell(row=3, column=col, value=name)  # header at C3, not A1
    sheet.cell(row=4, column=3, value=1)
    sheet.cell(row=7, column=4, value="after two blank rows")
    sheet.cell(row=8, column=5, value="only an unknown column")
    path = tmp_path / "t.xlsx"
    book.save(path)
    rows = rows_both_ways(path, dataset)
    assert [(r["order_id"], r["notes"], r[ROW_COLUMN]) for r in rows] == [
        ("1", None, 4),
        (None, "after two blank rows", 7),
        (None, None, 8),  # kept, so it fails validation instead of vanishing
    ]
    reader, _ = read(path, dataset)
    assert reader.mapping.columns == {2: "order_id", 3: "notes"}
    assert reader.mapping.unknown_columns == ["colour"]


def test_formulas_give_cached_values_never_formula_text(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(tmp_path / "t.xlsx", [HEADER, [1, None, "=2*3"]])
    # openpyxl cannot compute: give the formula the cached value Excel would have saved,
    # and make a second one an error
    path = patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: (
            xml.replace(b"<f>2*3</f><v></v>", b"<f>2*3</f><v>6</v>")
            .replace(b"<f>2*3</f><v />", b"<f>2*3</f><v>6</v>")
            .replace(
                b"</row></sheetData>",
                b'</row><row r="3"><c r="A3"><v>2</v></c>'
                b'<c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row></sheetData>',
            )
        ),
    )
    rows = rows_both_ways(path, dataset)
    assert [(r["amount"], r["notes"]) for r in rows] == [("6", None), ("#DIV/0!", None)]


def test_a_formula_without_its_result_fails_the_file_naming_the_cell(
    tmp_path: Path, dataset: Dataset
) -> None:
    # openpyxl saves formulas without results: reading them as empty cells lost the values
    rows = [HEADER, [1, "a@b.c", 2.5, None, None, "ok"], [2, "b@b.c", "=C2*2", None, None, "x"]]
    path = write_book(tmp_path / "t.xlsx", rows)
    with pytest.raises(ParseError) as caught:
        list(read(path, dataset)[0].batches())
    assert str(caught.value).startswith(
        "cell C3 (amount) holds a formula whose result the file does not store"
    )
    assert "Open the file in Excel or LibreOffice, save it, and upload it again" in str(
        caught.value
    )
    # outside the dataset's columns such a formula is an empty cell, as before
    rows = [[*HEADER, "total"], [1, "a@b.c", 2.5, None, None, "ok", "=C2*2"]]
    path = write_book(tmp_path / "u.xlsx", rows)
    assert [r["amount"] for r in rows_both_ways(path, dataset)] == ["2.5"]


def test_spooled_file_without_extension(tmp_path: Path, dataset: Dataset) -> None:
    book = write_book(tmp_path / "t.xlsx", [HEADER, [1, "a@b.c"]])
    spooled = book.rename(tmp_path / "upload-7f3a")  # openpyxl alone refuses such names
    assert rows_both_ways(spooled, dataset)[0]["customer_email"] == "a@b.c"


def test_cell_size_limit(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(tmp_path / "t.xlsx", [HEADER, [1, None, None, None, None, "x" * 2000]])
    small = ReaderLimits(max_cell_bytes=1000)
    with pytest.raises(ParseError, match="'notes' holds 2000 bytes, more than the limit of 1000"):
        list(open_xlsx_reader(path, dataset, 10, limits=small).batches())


def test_named_sheet_and_unknown_sheet(tmp_path: Path, dataset: Dataset) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    book.active.append(["nothing here"])
    second = book.create_sheet("Data")
    second.append(["order_id"])
    second.append([5])
    path = tmp_path / "t.xlsx"
    book.save(path)
    assert rows_both_ways(path, dataset, sheet="Data") == [{"order_id": "5", ROW_COLUMN: 2}]
    assert rows_both_ways(path, dataset, sheet="data")[0]["order_id"] == "5"
    # without a sheet named, the first sheet whose header maps the dataset
    assert [as_cell_text(b).to_pylist() for b in open_xlsx_reader(path, dataset, 10).batches()] == [
        [{"order_id": "5", ROW_COLUMN: 2}]
    ]
    with pytest.raises(ParseError, match=r"sheet 'Summary' maps the required columns order_id"):
        open_xlsx_reader(path, dataset, 10, sheet="Summary")
    with pytest.raises(ParseError, match=r"no sheet named 'Orders'.*'Summary', 'Data'"):
        open_xlsx_reader(path, dataset, 10, sheet="Orders")


def test_header_only_and_empty_sheets(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(tmp_path / "h.xlsx", [HEADER])
    reader, batches = read(path, dataset)
    assert batches == []
    assert list(reader.mapping.columns.values()) == [c.name for c in dataset.columns]
    empty = write_book(tmp_path / "e.xlsx", [])
    with pytest.raises(ParseError, match="'Orders' is empty"):
        open_xlsx_reader(empty, dataset, 10, limits=ReaderLimits())


def test_missing_required_column_is_named(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(tmp_path / "t.xlsx", [["Customer E-mail", "amount"], ["a@b.c", 1]])
    reason = r"maps the required columns order_id; .* \(row 1 holds 'Customer E-mail', 'amount'\)"
    with pytest.raises(ParseError, match=reason):
        open_xlsx_reader(path, dataset, 10, limits=ReaderLimits())


def test_estimate_rows(tmp_path: Path) -> None:
    path = write_book(tmp_path / "t.xlsx", [HEADER] + [[i] for i in range(250)])
    assert estimate_xlsx_rows(path) == 250  # from <dimension ref="A1:F251">
    book = openpyxl.Workbook(write_only=True)  # writes no dimension before the data
    sheet = book.create_sheet("orders")
    for i in range(3_001):
        sheet.append([i, f"c{i}@example.com", i / 7])
    book.save(tmp_path / "w.xlsx")
    assert 2_700 < estimate_xlsx_rows(tmp_path / "w.xlsx") < 3_300  # from the first 64 KiB
    small = write_book(tmp_path / "s.xlsx", [HEADER, [1], [2]])
    undimensioned = patch_member(
        small, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb"<dimension [^>]*>", b"", xml)
    )
    assert estimate_xlsx_rows(undimensioned) == 2  # the whole sheet fits the sample
    (tmp_path / "x.xlsx").write_text("a,b\n1,2\n")
    assert estimate_xlsx_rows(tmp_path / "x.xlsx") == 0


def handmade_book(path: Path, strings: list[str], sheet_rows: str) -> Path:
    """A minimal workbook with a shared-strings table, as Excel writes it (openpyxl writes
    inline strings)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">{"".join(strings)}</sst>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{sheet_rows}'
        "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_shared_strings_and_rich_text(tmp_path: Path, dataset: Dataset) -> None:
    strings = [
        "<si><t>order_id</t></si>",
        # rich text runs with a phonetic hint, which is not part of the text
        "<si><r><t>No</t></r><r><t>tes</t></r><rPh sb='0' eb='1'><t>x</t></rPh></si>",
        "<si><t>hello</t></si>",
    ]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>7</v></c><c r="B2" t="s"><v>2</v></c></row>'
    )
    path = handmade_book(tmp_path / "t.xlsx", strings, rows)
    assert rows_both_ways(path, dataset) == [{"order_id": "7", "notes": "hello", ROW_COLUMN: 2}]


def test_a_column_named_twice_is_refused(tmp_path: Path, dataset: Dataset) -> None:
    # fastexcel renames the second 'notes' to 'notes_1'; the reader must not be fooled
    path = write_book(tmp_path / "t.xlsx", [["order_id", "notes", "notes"], [1, "a", "b"]])
    with pytest.raises(ParseError, match="both name the dataset column 'notes'"):
        open_xlsx_reader(path, dataset, 10, limits=ReaderLimits())


def test_times_durations_and_old_dates(tmp_path: Path, dataset: Dataset) -> None:
    old = dt.datetime(1950, 1, 1, 12, 0, 0, 500000)  # before 1970: negative timestamps
    rows = [
        [1, dt.time(13, 45), dt.timedelta(hours=26, minutes=3), old],
        [2, dt.time(0, 0, 1), dt.timedelta(minutes=-5), dt.datetime(2024, 1, 1, 1, 2, 3, 999600)],
    ]
    path = write_book(tmp_path / "t.xlsx", [["order_id", "notes", "amount", "ordered_at"], *rows])
    got = [(r["notes"], r["amount"], r["ordered_at"]) for r in rows_both_ways(path, dataset)]
    assert got == [
        ("13:45:00", "26:03:00", "1950-01-01T12:00:00.500"),
        ("00:00:01", "-0:05:00", "2024-01-01T01:02:04"),
    ]
    # numbers and durations in one column: cell text, each as it shows
    mixed = write_book(
        tmp_path / "m.xlsx", [["order_id", "amount"], [1, 2.5], [2, dt.timedelta(hours=1)]]
    )
    _, batches = read(mixed, dataset)
    assert batches[0].column("amount").to_pylist() == ["2.5", "1:00:00"]
