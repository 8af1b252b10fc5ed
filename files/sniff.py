"""Tell a file's format, text encoding and CSV delimiter from its content, not its name."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from files.text_encoding import decode_sample, detect_encoding
from schemas.errors import ParseError, ParseErrorKind

# what bulkflow reads, by the names sniff_format gives
FORMATS = ("csv", "xlsx", "parquet", "jsonl", "xls", "xlsb", "ods")
# read by calamine (fastexcel) whole: legacy Excel, binary Excel, OpenDocument
CALAMINE_FORMATS = ("xls", "xlsb", "ods")
SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")

# old .xls files and password-protected .xlsx ones are both OLE containers
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# an encrypted OOXML workbook is an OLE container with these streams (names in UTF-16LE)
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
PASSWORD_ADVICE = "remove the password in your spreadsheet app and upload it again"
PASSWORD_PROTECTED = f"the workbook is password-protected; {PASSWORD_ADVICE}"
_PARQUET_MAGIC = b"PAR1"
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")
_UNSUPPORTED = ParseErrorKind.UNSUPPORTED_FORMAT


def unknown_format(file_format: str) -> str:
    """The reason a declared format is refused."""
    return f"unknown file format {file_format!r} (known: {', '.join(FORMATS)})"


def _records(text: str, limit: int) -> list[str]:
    """Split text into CSV records (newlines inside quotes do not end one)."""
    out: list[str] = []
    start = 0
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and not quoted:
            out.append(text[start:i])
            start = i + 1
            if len(out) >= limit:
                return out
    if start < len(text):
        out.append(text[start:])  # possibly cut short by the sample's end
    return out


def _count_outside_quotes(record: str, delimiter: str) -> int:
    # "" inside a quoted field toggles twice, so a plain toggle stays correct
    count = 0
    quoted = False
    for ch in record:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def detect_delimiter(text_sample: str, max_records: int = 50) -> str:
    """The delimiter among , ; tab | that splits the first records most consistently."""
    records = [r for r in _records(text_sample, max_records + 1) if r.strip()]
    if len(records) > 1:
        records = records[:-1] if len(records) > max_records else records
    if not records:
        return ","
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        counts = [_count_outside_quotes(r, delim) for r in records]
        mode, agree = Counter(counts).most_common(1)[0]
        if mode == 0:
            continue
        # the header must contain it too; then the most records agreeing, then more fields
        if counts[0] == 0:
            continue
        score = (agree, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _is_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ch < " " and ch not in _TEXT_CONTROLS)
    return controls > max(2, len(text) // 100)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise ParseError("not a supported file: a damaged zip archive", kind=_UNSUPPORTED) from exc
    if "xl/workbook.xml" in names:
        return "xlsx"  # .xlsm too: the same parts, plus macros nobody runs
    if "xl/workbook.bin" in names:
        return "xlsb"
    if mimetype.strip() == _ODS_MIMETYPE:
        return "ods"
    if "word/document.xml" in names or "ppt/presentation.xml" in names or mimetype:
        raise ParseError(
            "not a supported file: an office document that is not a spreadsheet",
            kind=_UNSUPPORTED,
        )
    raise ParseError(
        "not a supported file: a zip archive, not a spreadsheet workbook", kind=_UNSUPPORTED
    )


def _ole_kind(path: Path) -> str:
    """``xls``, unless the OLE container holds an encrypted (password-protected) workbook."""
    overlap = max(len(name) for name in _ENCRYPTED_STREAMS)
    with path.open("rb") as f:
        tail = b""
        while block := f.read(1024 * 1024):
            data = tail + block
            if any(name in data for name in _ENCRYPTED_STREAMS):
                raise ParseError(f"not a supported file: {PASSWORD_PROTECTED}", kind=_UNSUPPORTED)
            tail = data[-overlap:]
    return "xls"


def sniff_format(path: Path | str) -> str:
    """One of FORMATS, by content. Raises ParseError otherwise."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(SAMPLE_BYTES)
            tail = b""
            if size >= 8:
                f.seek(size - 4)
                tail = f.read(4)
    except OSError as exc:
        raise ParseError(
            f"cannot read the file: {exc.strerror}", kind=ParseErrorKind.UNREADABLE
        ) from exc
    if size == 0:
        raise ParseError("the file is empty", kind=ParseErrorKind.EMPTY)
    if head.startswith(_ZIP_MAGICS):
        return _zip_kind(path)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(path)
    if head.startswith(_PARQUET_MAGIC) and tail == _PARQUET_MAGIC:
        return "parquet"
    encoding = detect_encoding(head)
    try:
        text = decode_sample(head, encoding)
    except ParseError as exc:
        raise ParseError(
            "not a supported file: binary content, not text", kind=_UNSUPPORTED
        ) from exc
    if _is_binary(text):
        raise ParseError(
            "not a supported file: binary content, not a spreadsheet or text", kind=_UNSUPPORTED
        )
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ParseError("the file is empty", kind=ParseErrorKind.EMPTY)
    markup = _markup_kind(stripped)
    if markup is not None:
        raise ParseError(
            f"not a supported file: {markup}, as web applications export to '.xls'; open it in "
            "Excel or LibreOffice, save it as .xlsx or CSV, and upload that",
            kind=_UNSUPPORTED,
        )
    return "jsonl" if stripped.startswith("{") else "csv"


def _markup_kind(text: str) -> str | None:
    """What a text file that is markup holds: a web page's table, or Excel 2003's XML
    spreadsheet (SpreadsheetML); None for text that does not open with a tag."""
    if not text.startswith("<"):
        return None
    head = text.lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "an Excel 2003 XML spreadsheet"
    if any(tag in head for tag in ("<html", "<table", "<!doctype html")):
        return "a web page (HTML table)"
    return None
