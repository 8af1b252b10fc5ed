"""Regenerate the office corpus (tests/data/office/*) and its expected.json.

    cd REPO && PYTHONPATH=$PWD .venv/bin/python -m tests.data.office.make_corpus [--only NAME]

openpyxl writes .xlsx; pyxlsbwriter writes .xlsb; the csv module writes .csv; LibreOffice (``soffice``, Debian package
libreoffice-calc-nogui) converts to .xls, .ods and .xlsm and computes the cached values of
formula cells, which openpyxl cannot write; msoffcrypto-tool encrypts. A file whose tool is
missing keeps its committed copy (a warning says so), so CI needs none of them.
expected.json comes from the data the cases meant to write, never from reading files back.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from tests.data.office.corpus_cases import build_cases
from tests.data.office.corpus_model import Case

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"
PASSWORD = "bulkflow"
# LibreOffice's export filter per target format ("xlsx" re-saves, computing the formulas)
LO_FILTERS = {
    "xlsx": "Calc MS Excel 2007 XML",
    "xlsm": "Calc MS Excel 2007 VBA XML",
    "xls": "MS Excel 97",
    "ods": "calc8",
}
ABOUT = {
    "what": "per corpus file: what uploading it as the given dataset must come to",
    "rows": "spreadsheet row numbers, 1-based, as the sheet shows them",
    "invalid_rows": "each invalid row once, with one column that has an error there and a "
    "word its message contains (case-insensitive); other columns of that row may err too",
    "reason_keywords": "each must occur in the failure reason (case-insensitive); "
    "'a|b' means either",
    "checksums": "tests/support/office_checksums.py defines them, over the valid rows only",
}


def write_openpyxl(case: Case, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = Workbook()
    book.remove(book.active)
    if case.epoch1904:
        book.epoch = CALENDAR_MAC_1904
    for spec in case.sheets:
        sheet = book.create_sheet(spec.name)
        for row_no, cells in enumerate(spec.rows, start=1):
            for col_no, value in enumerate(cells, start=1):
                if value is not None:
                    sheet.cell(row=row_no, column=col_no, value=value)
        for cell_range in spec.merges:
            sheet.merge_cells(cell_range)
    book.save(path)


def write_xlsb(case: Case, path: Path) -> bool:
    try:
        from pyxlsbwriter import XlsbWriter
    except ImportError:
        return False
    with XlsbWriter(str(path)) as writer:
        for spec in case.sheets:
            width = max((len(r) for r in spec.rows), default=1)
            writer.add_sheet(spec.name)
            writer.write_sheet([r + [None] * (width - len(r)) for r in spec.rows])
    return True


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(source: Path, fmt: str, target: Path, workdir: Path) -> None:
    """LibreOffice headless, its own throwaway profile so it never meets a running one."""
    out = workdir / f"out-{fmt}"
    out.mkdir()
    profile = (workdir / "lo-profile").as_uri()
    command = [
        soffice() or "soffice",
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        f"{fmt}:{LO_FILTERS[fmt]}",
        "--outdir",
        str(out),
        str(source),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    shutil.move(out / f"{source.stem}.{fmt}", target)


def cut_sheet_xml(intact: bytes) -> bytes:
    """The same workbook whose first sheet's XML stops in the middle of a row."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(intact)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 3 // 5]
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def encrypt(intact: bytes) -> bytes | None:
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        return None
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(intact)).encrypt(PASSWORD, out)
    return out.getvalue()


def damage(case: Case, intact: bytes) -> bytes | None:
    if case.damage == "truncate":
        return intact[: len(intact) // 2]
    if case.damage == "cut_sheet_xml":
        return cut_sheet_xml(intact)
    if case.damage == "encrypt":
        return encrypt(intact)
    raise ValueError(f"unknown damage {case.damage!r}")


def csv_text(value: object) -> str:
    """A cell as a person's CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def write_csv(case: Case, path: Path) -> bool:
    """The case's one sheet as CSV, its blank rows as empty lines."""
    (spec,) = case.sheets
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=case.delimiter, lineterminator="\n")
        for row in spec.rows:
            if row:
                writer.writerow([csv_text(v) for v in row])
            else:
                f.write("\n")
    return True


def generate(case: Case, target: Path, workdir: Path) -> bool:
    """Write the case's file; False when a tool it needs is missing."""
    if case.fmt == "csv":
        return write_csv(case, target)
    if case.fmt == "xlsb":
        return write_xlsb(case, target)
    plain = workdir / f"{target.stem}.xlsx"
    write_openpyxl(case, plain)
    if case.damage:
        damaged = damage(case, plain.read_bytes())
        if damaged is None:
            return False
        target.write_bytes(damaged)
        return True
    if case.fmt == "xlsx" and not case.recalc:
        shutil.move(plain, target)
        return True
    if soffice() is None:
        return False
    convert(plain, case.fmt, target, workdir)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="regenerate only this file (repeatable)")
    args = parser.parse_args(argv)
    expected: dict[str, object] = {"_about": ABOUT}
    for case in build_cases():
        target = HERE / case.file
        if not args.only or case.file in args.only:
            with tempfile.TemporaryDirectory(prefix="office-corpus-") as tmp:
                made = generate(case, target, Path(tmp))
            if not made:
                state = "kept the committed copy" if target.exists() else "SKIPPED: no file"
                print(f"warning: {case.file}: a tool it needs is missing; {state}", file=sys.stderr)
        if target.exists():
            expected[case.file] = case.expectation()
            print(f"{case.file}: {os.path.getsize(target)} bytes")
    EXPECTED.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
