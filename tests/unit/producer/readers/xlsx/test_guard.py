"""XLSX guards: what is refused before any library parses the file, and how it is said."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

from producer.readers.base import ReaderLimits
from producer.readers.xlsx import open_xlsx_reader
from schemas.dataset import Dataset, parse_dataset
from schemas.errors import ParseError, ParseErrorKind
from tests.support.calamine_reference import open_with_calamine

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>order_id &lol3;</t></is></c></row>
</sheetData></worksheet>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>"""


@pytest.fixture()
def dataset() -> Dataset:
    return parse_dataset({"name": "t", "columns": [{"name": "order_id", "type": "integer"}]})


@pytest.fixture()
def book(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(["order_id"])
    for i in range(50):
        workbook.active.append([i])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    return path


def rebuild(path: Path, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts.update(replace)
    parts.update(add or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_truncated_file_is_damaged(book: Path, dataset: Dataset) -> None:
    data = book.read_bytes()
    book.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match=r"^the XLSX file is damaged or truncated$"):
        open_xlsx_reader(book, dataset, 10, limits=ReaderLimits())


def test_corrupt_member_is_damaged(book: Path, dataset: Dataset) -> None:
    data = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 20 : start + 40] = b"\x00" * 20  # inside the deflate stream
    book.write_bytes(bytes(data))
    with pytest.raises(ParseError, match="damaged or truncated"):
        open_xlsx_reader(book, dataset, 10)


def test_csv_text_and_other_files_are_not_workbooks(tmp_path: Path, dataset: Dataset) -> None:
    cases = {
        "csv.xlsx": b"order_id,amount\n1,2\n",
        "old.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "empty.xlsx": b"",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ParseError, match=r"^not an Excel \.xlsx workbook"):
            open_xlsx_reader(tmp_path / name, dataset, 10)
    with zipfile.ZipFile(tmp_path / "doc.xlsx", "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(ParseError, match=r"^not an Excel \.xlsx workbook$"):
        open_xlsx_reader(tmp_path / "doc.xlsx", dataset, 10)


def test_zip_bomb_by_total_size(book: Path, dataset: Dataset) -> None:
    with pytest.raises(ParseError, match=r"expands to .* more than the limit of 2 KiB"):
        open_xlsx_reader(book, dataset, 10, limits=ReaderLimits(max_uncompressed_bytes=2048))


def test_zip_bomb_by_ratio(book: Path, dataset: Dataset) -> None:
    sheet = zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml")
    padded = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * 3_000_000)
    rebuild(book, {"xl/worksheets/sheet1.xml": padded})
    with pytest.raises(ParseError, match="it looks like a zip bomb"):
        open_xlsx_reader(book, dataset, 10)


SHEET = "xl/worksheets/sheet1.xml"


OVER_DECLARED = "sheet1.xml inflates to more than the 100 bytes its zip directory declares"


def understate_sheet(book: Path, size: int = 100) -> bytes:
    """Forge the zip directory: the sheet claims to inflate to ``size`` bytes, with the CRC of
    its first ``size`` bytes, so zipfile stops there satisfied. Returns those bytes."""
    with zipfile.ZipFile(book) as archive:
        info = archive.getinfo(SHEET)
        head = archive.read(info)[:size]
    data = bytearray(book.read_bytes())
    entry = data.index(info.filename.encode(), data.index(b"PK\x01\x02")) - 46
    assert data[entry : entry + 4] == b"PK\x01\x02" and info.file_size > size
    data[entry + 16 : entry + 20] = struct.pack("<I", zlib.crc32(head))
    data[entry + 24 : entry + 28] = struct.pack("<I", size)
    book.write_bytes(bytes(data))
    return head


def test_directory_understating_a_member_is_caught(book: Path, dataset: Dataset) -> None:
    head = understate_sheet(book)
    with zipfile.ZipFile(book) as archive:
        assert archive.read(SHEET) == head  # zipfile alone is fooled
    with pytest.raises(ParseError, match=r"sheet1\.xml is larger than declared"):
        open_with_calamine(book, dataset, 10)  # the guard inflates it for calamine
    # the XLSX reader's extension inflates the sheet once, itself, capped at the declared size
    with pytest.raises(ParseError, match=OVER_DECLARED) as refused:
        open_xlsx_reader(book, dataset, 10)
    assert refused.value.kind == ParseErrorKind.MALFORMED


@pytest.mark.parametrize(
    ("member", "xml"),
    [("xl/worksheets/sheet1.xml", BILLION_LAUGHS), ("xl/sharedStrings.xml", EXTERNAL_ENTITY)],
    ids=["billion-laughs", "external-entity"],
)
def test_xml_entities_are_refused(book: Path, dataset: Dataset, member: str, xml: bytes) -> None:
    rebuild(book, {member: xml})
    with pytest.raises(ParseError, match=r"^the workbook contains XML entity declarations"):
        open_xlsx_reader(book, dataset, 10, limits=ReaderLimits())


def test_library_failures_become_parse_errors(book: Path, dataset: Dataset) -> None:
    rebuild(book, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c r="})
    for opener in (open_xlsx_reader, open_with_calamine):
        with pytest.raises(ParseError):
            reader = opener(book, dataset, 10)
            list(reader.batches())


def test_the_xlsx_reader_reads_no_further_than_declared(book: Path, dataset: Dataset) -> None:
    # the extension, reading the sheet itself (the header search too), stops at the
    # declared size
    understate_sheet(book)
    with pytest.raises(ParseError, match=OVER_DECLARED):
        list(open_xlsx_reader(book, dataset, 10, limits=ReaderLimits()).batches())
    # and the extension itself stops the sheet at its declared size, or at the caller's limit
    import bulkflow_xlsx

    with pytest.raises(bulkflow_xlsx.XlsxReadError, match=OVER_DECLARED):
        bulkflow_xlsx.open(str(book)).next_batch()
    with pytest.raises(bulkflow_xlsx.XlsxReadError, match="more than the limit of 50 bytes"):
        bulkflow_xlsx.open(str(book), max_inflated_bytes=50).next_batch()
