"""Format, encoding and delimiter detection by content."""

from __future__ import annotations

import codecs
import random
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from files.sniff import detect_delimiter, sniff_format
from files.text_encoding import detect_encoding
from schemas.errors import ParseError


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return path


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("a,b\nç,é\n".encode(), None, "utf-8"),
        (codecs.BOM_UTF8 + b"a,b\n", None, "utf-8-sig"),
        ("\ufeffa,b\nç\n".encode("utf-16-le"), None, "utf-16"),
        ("\ufeffa,b\nç\n".encode("utf-16-be"), None, "utf-16"),
        ("a;b\nçé€\n".encode("cp1252"), None, "cp1252"),
        ("a;b\nçé\n".encode("latin-1"), "latin-1", "iso8859-1"),
        # a BOM is proof; a declaration is only a claim
        (codecs.BOM_UTF8 + b"a,b\n", "cp1252", "utf-8-sig"),
        (b"a,b\n\x81\x8d\n", None, "latin-1"),  # bytes cp1252 leaves undefined
    ],
)
def test_detect_encoding(data: bytes, declared: str | None, expected: str) -> None:
    assert detect_encoding(data, declared) == expected


def test_detect_encoding_tolerates_a_character_cut_at_the_sample_end() -> None:
    assert detect_encoding("abc é".encode()[:-1]) == "utf-8"


def test_unknown_declared_encoding() -> None:
    with pytest.raises(ParseError, match="unknown text encoding 'klingon'"):
        detect_encoding(b"a,b\n", "klingon")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_detect_delimiter(delimiter: str) -> None:
    rows = [["id", "name", "note", "amount"], ["1", "x", "a,b;c|d", "1,5"], ["2", "y", "", "2"]]
    text = "\n".join(delimiter.join(r) for r in rows) + "\n"
    assert detect_delimiter(text) == delimiter


def test_detect_delimiter_ignores_delimiters_inside_quotes() -> None:
    text = 'a;b;c\n"x, y, z, w";2;3\n"multi\nline, with, commas";5;6\n'
    assert detect_delimiter(text) == ";"


def test_single_column_defaults_to_comma() -> None:
    assert detect_delimiter("order_id\n1\n2\n") == ","


def test_sniff_text_formats(tmp_path: Path) -> None:
    assert sniff_format(_write(tmp_path / "a.data", b"a,b\n1,2\n")) == "csv"
    assert sniff_format(_write(tmp_path / "b.csv", b'\n  {"a": 1}\n{"a": 2}\n')) == "jsonl"
    utf16 = '\ufeff{"a": 1}\n'.encode("utf-16-le")
    assert sniff_format(_write(tmp_path / "c.txt", utf16)) == "jsonl"


def test_sniff_parquet_by_magic_not_name(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    assert sniff_format(path) == "parquet"


def test_sniff_xlsx_is_a_zip_with_a_workbook(tmp_path: Path) -> None:
    path = _zip(tmp_path / "book.csv", ["[Content_Types].xml", "xl/workbook.xml"])
    assert sniff_format(path) == "xlsx"


def test_a_csv_that_is_really_a_zip(tmp_path: Path) -> None:
    path = _zip(tmp_path / "orders.csv", ["orders.csv"])
    with pytest.raises(ParseError, match="not a supported file: a zip archive"):
        sniff_format(path)


def test_old_xls_is_read_and_an_encrypted_workbook_named(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    assert sniff_format(_write(tmp_path / "old.xls", ole)) == "xls"
    # a password-protected .xlsx is an OLE container with an EncryptedPackage stream
    locked = _write(tmp_path / "l.xlsx", ole + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(ParseError, match=r"password-protected; remove the password"):
        sniff_format(locked)


def test_xlsb_and_ods_are_told_by_their_parts(tmp_path: Path) -> None:
    assert sniff_format(_zip(tmp_path / "b.bin", ["xl/workbook.bin"])) == "xlsb"
    ods = tmp_path / "o.ods"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert sniff_format(ods) == "ods"


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ParseError, match=r"^the file is empty$"):
        sniff_format(_write(tmp_path / "e.csv", data))


def test_binary_junk_named_csv(tmp_path: Path) -> None:
    path = _write(tmp_path / "orders.csv", random.Random(1).randbytes(4096))
    with pytest.raises(ParseError, match="not a supported file"):
        sniff_format(path)


def test_gzip_is_not_text(tmp_path: Path) -> None:
    import gzip

    path = _write(tmp_path / "orders.csv", gzip.compress(b"a,b\n1,2\n" * 100))
    with pytest.raises(ParseError, match="not a supported file"):
        sniff_format(path)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"<html><body><table><tr><th>order_id</th></tr></table></body></html>", "web page"),
        (b"\xef\xbb\xbf\r\n<!DOCTYPE html>\n<html>", "web page"),
        (b"<table border=1><tr><td>order_id</td></tr></table>", "web page"),
        (
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook '
            b'xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "Excel 2003 XML spreadsheet",
        ),
    ],
)
def test_markup_saved_as_xls_names_itself(tmp_path: Path, data: bytes, what: str) -> None:
    # web applications hand out HTML tables and SpreadsheetML as "export.xls": read as CSV,
    # they failed with "no header row in the first 50 rows"
    with pytest.raises(ParseError, match=rf"^not a supported file: an? {what}.*save it as .xlsx"):
        sniff_format(_write(tmp_path / "export.xls", data))


def test_a_csv_whose_first_cell_opens_with_a_bracket_is_still_csv(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.csv", b"<order_id>,email\n1,a@x.io\n")
    assert sniff_format(path) == "csv"
