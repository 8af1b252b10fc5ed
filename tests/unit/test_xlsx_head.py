"""The fast path's look-ups in the head of a sheet: header row and shared strings, read with
expat only as far as needed, and the text rules of string columns."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from producer.errors import ParseError
from producer.readers.xlsx.fast import string_text
from producer.readers.xlsx.head import HeaderRow, read_head_rows, shared_strings

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"


def book(tmp_path: Path, sheet: str, strings: list[str] | None = None) -> Path:
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SHEET, sheet)
        if strings is not None:
            archive.writestr(
                "xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{"".join(strings)}</sst>'
            )
    return path


def test_head_rows_are_the_rows_with_a_value_numbered_as_in_the_sheet(tmp_path: Path) -> None:
    # rows with no value (an empty <v>, no cells) are left out; numbers follow r= or count on
    empty = '<row><c r="A1"><v></v></c></row>' + "<row/>" * 10
    sheet = (
        f'<worksheet xmlns="{MAIN}"><sheetData>{empty}'
        '<row r="12"><c r="B12" t="s"><v>4</v></c><c t="inlineStr"><is><r><t>a</t></r>'
        '<r><t xml:space="preserve"> b</t></r></is></c><c r="E12" t="b"><v>1</v></c></row>'
        '<row><c><v>9</v></c></row><row r="60"><c><v>past the head</v></c></row>'
        "</sheetData></worksheet>"
    )
    assert read_head_rows(book(tmp_path, sheet), SHEET, 50) == [
        HeaderRow(12, {1: ("s", "4"), 2: ("inlineStr", "a b"), 4: ("b", "1")}),
        HeaderRow(13, {0: ("n", "9")}),
    ]


def test_the_head_read_stops_after_its_last_row(tmp_path: Path) -> None:
    # what follows the head is the reader's to judge: broken XML there is not read here
    sheet = (
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row><x:c><x:v>7</x:v></x:c></x:row>'
        '<x:row r="3"><x:c><x:v>8</x:v></x:c></x:row><<'
    )
    assert read_head_rows(book(tmp_path, sheet), SHEET, 2) == [HeaderRow(1, {0: ("n", "7")})]


def test_head_read_of_an_empty_or_broken_sheet(tmp_path: Path) -> None:
    assert read_head_rows(book(tmp_path, f'<worksheet xmlns="{MAIN}"/>'), SHEET, 50) == []
    with pytest.raises(Exception, match="unbound prefix"):
        read_head_rows(book(tmp_path, "<y:worksheet><row><c><v>1</v></c></row>"), SHEET, 50)
    doctype = '<!DOCTYPE w [<!ENTITY e "x">]><worksheet><row><c><v>&e;</v></c></row></worksheet>'
    with pytest.raises(ParseError, match="entity declarations"):
        read_head_rows(book(tmp_path, doctype), SHEET, 50)


def test_shared_strings_by_index(tmp_path: Path) -> None:
    strings = [
        "<si><t>zero</t></si>",
        "<si><r><t>o</t></r><r><t>ne</t></r><rPh><t>x</t></rPh></si>",
        *(f"<si><t>s{i}</t></si>" for i in range(2, 5000)),
    ]
    path = book(tmp_path, f'<worksheet xmlns="{MAIN}"/>', strings)
    assert shared_strings(path, {1, 4999, 7000}) == {1: "one", 4999: "s4999"}
    assert shared_strings(path, set()) == {}
    assert shared_strings(book(tmp_path, "<worksheet/>"), {0}) == {}


def test_string_columns_normalise_calamine_spellings_of_every_length() -> None:
    values = [
        "true",
        "false",
        "2024-03-01 13:45:00",
        "2024-03-01 13:45:00.5",
        "2024-03-01 13:45:00.25",
        "2024-03-01 13:45:00.125",
        "2024-03-01 00:00:00",
        "2024-03-01T13:45:00Z",  # 20 bytes: never calamine's
        "truth",
        "  ",
        "",
        None,
    ]
    assert string_text(pa.array(values, pa.string())).to_pylist() == [
        "TRUE",
        "FALSE",
        "2024-03-01T13:45:00",
        "2024-03-01T13:45:00.500",
        "2024-03-01T13:45:00.250",
        "2024-03-01T13:45:00.125",
        "2024-03-01",
        "2024-03-01T13:45:00Z",
        "truth",
        None,
        None,
        None,
    ]
