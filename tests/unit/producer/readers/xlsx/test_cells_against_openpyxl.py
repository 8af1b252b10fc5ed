"""The XLSX reader: every cell kind read exactly as openpyxl (read-only,
data_only) reads it, shared and inline strings, date styles, gaps and row numbers."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from producer.readers.base import ReaderLimits
from producer.readers.cell_text import cell_text
from producer.readers.xlsx import open_xlsx_reader
from producer.readers.xlsx.reader import XlsxReader
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, parse_dataset
from schemas.errors import ParseError
from tests.support.calamine_reference import open_with_calamine
from tests.support.cell_text import as_cell_text

NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


@pytest.fixture()
def dataset() -> Dataset:
    columns = [{"name": n, "type": "string", "required": n == "a"} for n in NAMES]
    return parse_dataset({"name": "kinds", "columns": columns})


def book(
    path: Path,
    rows: str,
    strings: list[str] | None = None,
    styles: str | None = None,
    date1904: bool = False,
    sheet_root: str = f'<worksheet xmlns="{MAIN}"><sheetData>{{}}</sheetData></worksheet>',
) -> Path:
    """A workbook made by hand, as Excel writes them (shared strings, styles)."""
    overrides = [
        ("/xl/workbook.xml", "sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", "worksheet+xml"),
    ]
    rels = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    parts = {
        "xl/worksheets/sheet1.xml": sheet_root.format(rows),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "")
            + '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
    }
    if strings is not None:
        overrides.append(("/xl/sharedStrings.xml", "sharedStrings+xml"))
        rels.append(("rId2", "sharedStrings", "sharedStrings.xml"))
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{"".join(strings)}</sst>'
    if styles is not None:
        overrides.append(("/xl/styles.xml", "styles+xml"))
        rels.append(("rId3", "styles", "styles.xml"))
        parts["xl/styles.xml"] = f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>'
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{n}" ContentType="{CT}.{t}"/>' for n, t in overrides)
        + "</Types>"
    )
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{PKG}">'
        + "".join(f'<Relationship Id="{i}" Type="{REL}/{t}" Target="{p}"/>' for i, t, p in rels)
        + "</Relationships>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


HEADER_ROW = (
    '<row r="1">'
    + "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{n}</t></is></c>' for i, n in enumerate(NAMES)
    )
    + "</row>"
)


def stream_rows(path: Path, dataset: Dataset, chunk: int = 7) -> list[dict[str, Any]]:
    reader = open_xlsx_reader(path, dataset, chunk, limits=ReaderLimits())
    try:
        assert isinstance(reader, XlsxReader)
        batches = [as_cell_text(b) for b in reader.batches()]
    finally:
        reader.close()
    assert all(b.num_rows == chunk for b in batches[:-1])
    return [row for batch in batches for row in batch.to_pylist()]


def openpyxl_rows(path: Path, dataset: Dataset) -> list[dict[str, Any]]:
    """What the former openpyxl streaming reader gave: openpyxl's worksheet parser
    (read-only, data_only), the header found the same way, cell_text on every value."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    with path.open("rb") as file:
        excel = ExcelReader(file, read_only=True, data_only=True)
        excel.read_manifest()
        excel.read_strings()
        excel.read_workbook()
        apply_stylesheet(excel.archive, excel.wb)
        wb = excel.wb
        with excel.archive.open("xl/worksheets/sheet1.xml") as source:
            parser = WorkSheetParser(
                source,
                excel.shared_strings,
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            rows = [(n, [(c["column"], c["value"]) for c in cells]) for n, cells in parser.parse()]
        excel.archive.close()
    at = next(i for i, (_, cells) in enumerate(rows) if any(v is not None for _, v in cells))
    header = {col: cell_text(v) for col, v in rows[at][1]}
    lookup = {c.name.lower(): c.name for c in dataset.columns}
    columns = {col: lookup[text.lower()] for col, text in header.items() if text in lookup}
    found = []
    for number, cells in rows[at + 1 :]:
        texts = {col: cell_text(v) for col, v in cells if v is not None}
        if all(t is None for t in texts.values()):
            continue
        row: dict[str, Any] = {c.name: None for c in dataset.columns if c.name in columns.values()}
        row.update({columns[col]: t for col, t in texts.items() if col in columns})
        row[ROW_COLUMN] = number
        found.append(row)
    return found


def test_shared_strings_rich_text_and_phonetic_hints(tmp_path: Path, dataset: Dataset) -> None:
    strings = [
        *(f"<si><t>{n}</t></si>" for n in NAMES),
        "<si><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space='preserve'> and plain</t></r>"
        "<rPh sb='0' eb='1'><t>HINT</t></rPh></si>",
        "<si><t>   </t></si>",  # whitespace: an empty cell
        "<si><t>true</t></si>",  # calamine's spelling of a bool, normalised
        "<si><t>2024-01-02 03:04:05</t></si>",
        "<si><t>a_x005F_x000D_b</t></si>",  # openpyxl drops 'x005F_'
        "<si><t/></si>",
        "<si><t>caf\u00e9 &amp; \u65e5\u672c</t></si>",
    ]
    header = (
        '<row r="1">'
        + "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(8))
        + "</row>"
    )
    rows = header + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="s"><v>{s}</v></c></row>'
        for n, s in zip(range(2, 9), range(8, 15), strict=True)
    )
    path = book(tmp_path / "s.xlsx", rows, strings=strings)
    got = [(r["a"], r["b"], r[ROW_COLUMN]) for r in stream_rows(path, dataset)]
    assert got == [
        ("2", "bold and plain", 2),
        ("3", None, 3),
        ("4", "TRUE", 4),
        ("5", "2024-01-02T03:04:05", 5),
        ("6", "a_x000D_b", 6),
        ("7", None, 7),
        ("8", "caf\u00e9 & \u65e5\u672c", 8),
    ]
    assert stream_rows(path, dataset) == openpyxl_rows(path, dataset)


def test_inline_rich_text_and_every_other_kind(tmp_path: Path, dataset: Dataset) -> None:
    rows = HEADER_ROW + (
        '<row r="2"><c r="A2"><v>1</v></c>'
        '<c r="B2" t="inlineStr"><is><r><t>ri</t></r><r><rPr><i/></rPr><t>ch</t></r>'
        "<rPh sb='0' eb='1'><t>no</t></rPh></is></c>"
        '<c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c>'
        '<c r="E2" t="str"><f>A2&amp;"x"</f><v>1x</v></c>'
        '<c r="F2"><f>1/3</f><v>0.33333333333333331</v></c>'
        '<c r="G2" t="d"><v>2024-05-06T07:08:09</v></c>'
        '<c r="H2" t="inlineStr"><v>ignored</v><is><t xml:space="preserve">  pad </t></is></c>'
        "</row>"
        '<row r="3"><c r="A3"><v>1E+20</v></c><c r="B3"><v>-0.000001</v></c>'
        '<c r="C3" t="b"><v>0</v></c><c r="D3" t="e"><v>#DIV/0!</v></c>'
        '<c r="E3"><f>1+1</f><v>2</v></c><c r="F3"><v>007</v></c>'
        '<c r="G3" t="d"><v>2024-05-06</v></c><c r="H3" t="inlineStr"/></row>'
    )
    path = book(tmp_path / "k.xlsx", rows)
    got = stream_rows(path, dataset)
    assert [{k: v for k, v in r.items() if v is not None} for r in got] == [
        {
            "a": "1",
            "b": "rich",
            "c": "TRUE",
            "d": "#N/A",
            "e": "1x",
            "f": "0.333333333",
            "g": "2024-05-06T07:08:09",
            "h": "  pad ",
            ROW_COLUMN: 2,
        },
        {
            "a": "100000000000000000000",
            "b": "-0.000001",
            "c": "FALSE",
            "d": "#DIV/0!",
            "e": "2",
            "f": "7",
            "g": "2024-05-06",
            ROW_COLUMN: 3,
        },
    ]
    assert got == openpyxl_rows(path, dataset)


STYLES = (
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="[h]:mm:ss"/>'
    '<numFmt numFmtId="166" formatCode="0.00&quot;d&quot;"/></numFmts>'  # 'd' quoted: no date
    '<cellXfs count="9"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/>'
    '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="20"/><xf numFmtId="47"/>'
    '<xf numFmtId="166"/><xf numFmtId="4"/></cellXfs>'
)
SERIALS = [
    "45000",
    "45000.5",
    "45000.999999999",
    "0.25",
    "0.0000001",
    "1",
    "59",
    "60",
    "61",
    "61.5",
    "-1",
    "2958465.9",
    "3000000",
    "1e10",
    "45123.123456789",
    "45000.0000058",
]


@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_date_styles_by_serial(tmp_path: Path, dataset: Dataset, date1904: bool) -> None:
    rows = HEADER_ROW + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c>'
        + "".join(f'<c r="{chr(66 + s)}{n}" s="{s + 1}"><v>{raw}</v></c>' for s in range(7))
        + "</row>"
        for n, raw in enumerate(SERIALS, start=2)
    )
    path = book(tmp_path / "d.xlsx", rows, styles=STYLES, date1904=date1904)
    got = stream_rows(path, dataset)
    expected = openpyxl_rows(path, dataset)
    # where openpyxl and calamine differ, the XLSX reader reads as calamine does: a
    # duration from the serial times the day in milliseconds (openpyxl splits off the day
    # first) and, in the 1904 system, a serial under 1 as a moment of 1904-01-01
    expected[11]["e"] = "71003181:36:00"  # 2958465.9 days
    if date1904:
        for at, moment in ((3, "1904-01-01T06:00:00"), (4, "1904-01-01T00:00:00.009")):
            expected[at].update({c: moment for c in "bcdfg"})
    assert got == expected
    if not date1904:
        first = got[1]  # 45000.5
        assert (first["b"], first["c"], first["d"]) == ("2023-03-15T12:00:00",) * 3
        assert (first["e"], first["f"], first["g"], first["h"]) == (
            "1080012:00:00",
            "2023-03-15T12:00:00",
            "2023-03-15T12:00:00",
            "45000.5",
        )
        assert got[2]["b"] == "2023-03-16"  # 45000.999999999 rounds to the next midnight
        assert got[3]["b"] == "06:00:00"  # a time of day
        assert got[11]["b"] == "9999-12-31T21:36:00"
        assert got[12]["b"] == "#VALUE!"  # beyond year 9999


def test_gaps_rows_without_numbers_and_prefixed_tags(tmp_path: Path, dataset: Dataset) -> None:
    rows = (
        '<x:row r="3"><x:c r="C3" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>h</x:t></x:is></x:c></x:row>'  # D3: no reference
        '<x:row><x:c r="C4"><x:v>1</x:v></x:c><x:c r="F4"><x:v>2</x:v></x:c>'
        "<x:c><x:v>3</x:v></x:c></x:row>"  # row 4; the last cell is G4
        '<x:row r="7"><x:c r="D7" t="inlineStr"><x:is><x:t>  </x:t></x:is></x:c></x:row>'
        '<x:row r="9"><x:c r="H9"><x:v>5</x:v></x:c></x:row>'  # outside the dataset only
        '<x:row r="10" spans="1:8"><x:c r="D10" t="inlineStr"><x:is><x:t>x</x:t></x:is>'
        '</x:c></x:row><x:row><x:c r="C11"><x:v>6</x:v></x:c></x:row>'
    )
    root = f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>{{}}</x:sheetData></x:worksheet>'
    path = book(tmp_path / "g.xlsx", rows, sheet_root=root)
    got = stream_rows(path, dataset, chunk=2)
    assert got == [
        {"a": "1", "h": None, ROW_COLUMN: 4},
        {"a": None, "h": None, ROW_COLUMN: 9},  # kept: it fails validation visibly
        {"a": None, "h": "x", ROW_COLUMN: 10},
        {"a": "6", "h": None, ROW_COLUMN: 11},
    ]


def test_differential_against_openpyxl_on_every_kind(tmp_path: Path, dataset: Dataset) -> None:
    rng = random.Random(3)
    kinds: list[Any] = [
        lambda: rng.randrange(-(10**12), 10**12),
        lambda: rng.uniform(-1e6, 1e6),
        lambda: round(rng.uniform(0, 500), 2),
        lambda: rng.uniform(-1e20, 1e20),
        lambda: dt.datetime(2024, 1, 1) + dt.timedelta(seconds=rng.uniform(-1e9, 1e9)),
        lambda: dt.date(1990, 1, 1) + dt.timedelta(days=rng.randrange(20_000)),
        lambda: dt.time(rng.randrange(24), rng.randrange(60), rng.randrange(60)),
        lambda: dt.timedelta(minutes=rng.uniform(-5000, 5000)),
        lambda: rng.random() < 0.5,
        lambda: rng.choice(["text", " ", "", "true", "FALSE", "2024-01-02 03:04:05", "é ü"]),
        lambda: f"note {rng.randrange(1000)}",
        # (a formula openpyxl saves has no result: the reader refuses it, test_reader.py)
        lambda: None,
    ]
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(NAMES)
    for i in range(600):
        row = [i] + [rng.choice(kinds)() for _ in range(7)]
        if i % 50 == 7:
            row = [None] * 8  # blank rows, numbers skipped
        sheet.append(row)
    sheet.cell(row=700, column=12, value="beyond the header")
    path = tmp_path / "all.xlsx"
    wb.save(path)
    got = stream_rows(path, dataset, chunk=64)
    assert got == openpyxl_rows(path, dataset)
    assert len(got) > 500 and got[-1][ROW_COLUMN] == 700


def test_calamine_agrees_on_dates_and_strings(tmp_path: Path, dataset: Dataset) -> None:
    rows = HEADER_ROW + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" s="1"><v>{45000 + n / 7}</v></c>'
        f'<c r="C{n}" t="s"><v>{n % 2}</v></c></row>'
        for n in range(2, 60)
    )
    styles = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22"/></cellXfs>'
    strings = ["<si><t>x</t></si>", "<si><r><t>y</t></r><r><t>z</t></r></si>"]
    path = book(tmp_path / "p.xlsx", rows, strings=strings, styles=styles)
    reference = open_with_calamine(path, dataset, 7)
    reference_rows = [r for b in reference.batches() for r in as_cell_text(b).to_pylist()]
    assert reference_rows == stream_rows(path, dataset)


def test_damaged_sheet_xml_is_a_parse_error(tmp_path: Path, dataset: Dataset) -> None:
    rows = HEADER_ROW + '<row r="2"><c r="A2"><v>1</v></c></row><row r="3"><c r="A3"><v>2'
    path = book(tmp_path / "x.xlsx", rows)
    with pytest.raises(ParseError, match="cannot be read: the XML ends inside <v>"):
        # the whole sheet is in the first batch, which the header search reads
        list(open_xlsx_reader(path, dataset, 10, limits=ReaderLimits()).batches())
    rows += "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(4, 70_000))
    path = book(tmp_path / "x.xlsx", rows + "</row></sheetData></worksheet>")
    with pytest.raises(ParseError, match="cannot be read: the XML ends inside <v>"):
        # far beyond the head: the Rust reader finds it, when opening or in the batches
        list(open_xlsx_reader(path, dataset, 10, limits=ReaderLimits()).batches())
