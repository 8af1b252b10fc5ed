"""Regenerate the locale corpus (tests/data/locales/*) and its expected.json.

    cd REPO && PYTHONPATH=$PWD .venv/bin/python -m tests.data.locales.make_locales

Each CSV is written byte for byte as Excel for Windows saves the orders template in that
country: "CSV (semicolon separated)" / "CSV (Comma delimited)" in the Windows code page
(cp1252), or "CSV UTF-8" (with its byte-order mark); fields separated by the region's list
separator, CRLF line ends, a field quoted only when it holds the separator, a quote or a line
break; each cell as the template's formats show it in that region (amounts #,##0.00, dates
dd.mm.yyyy hh:mm / m/d/yyyy h:mm, booleans as typed text or Excel's own WAHR/VRAI/TRUE). The
workbooks (openpyxl; .ods and .xls converted from it by LibreOffice, ``soffice``, Debian's
libreoffice-calc-nogui) hold typed number cells beside text cells typed the German way, in
other columns or in one.
expected.json comes from the orders the cases meant to write, never from reading files back.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.data.office.corpus_model import COLUMNS, Case, Odd, Order, make_orders, typed_cells
from tests.data.office.make_corpus import convert, soffice

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"
NBSP = "\u00a0"
ABOUT = {
    "what": "per upload of a locale corpus file: what it must come to",
    "locale": "the locale form field sent with the upload (null: none, so detected)",
    "status_locale": "the locale the job's status names (null: none) and how it came to",
    "reading_keywords": "words the status's reading must contain (case-insensitive)",
    "rows": "CSV record numbers, 1-based, the header being record 1",
    "invalid_rows": "each invalid row once, with one column that errs there and a word of "
    "its message (case-insensitive)",
    "checksums": "tests/support/office_checksums.py defines them, over the valid rows only",
}


@dataclass(frozen=True)
class Style:
    """How one region's Excel writes the template's cells as text."""

    decimal: str
    group: str
    moment: Callable[[datetime], str]
    words: tuple[str, str]  # true, false
    money: str = "{}"  # an amount in the currency format: "{} €" shows 1.234,50 €

    def amount(self, value: Decimal) -> str:
        whole, fraction = f"{value:.2f}".split(".")
        grouped = f"{int(whole):,}".replace(",", self.group)
        return self.money.format(f"{grouped}{self.decimal}{fraction}")

    def cells(self, order: Order, _index: int, _row: int) -> dict[str, Any]:
        values: dict[str, Any] = asdict(order)
        values["ordered_at"] = self.moment(order.ordered_at)
        values["amount"] = None if order.amount is None else self.amount(order.amount)
        values["express"] = None if order.express is None else self.words[not order.express]
        return values


GERMAN = Style(",", ".", lambda m: m.strftime("%d.%m.%Y %H:%M"), ("ja", "nein"))
FRENCH = Style(",", NBSP, lambda m: m.strftime("%d/%m/%Y %H:%M"), ("VRAI", "FAUX"))
BRAZILIAN = Style(",", ".", lambda m: m.strftime("%d/%m/%Y %H:%M"), ("sim", "não"))
AMERICAN = Style(
    ".", ",", lambda m: f"{m.month}/{m.day}/{m.year} {m.hour}:{m.minute:02d}", ("TRUE", "FALSE")
)


@dataclass
class Upload:
    """One upload of a corpus file, and what its job must show."""

    case: Case
    encoding: str = "cp1252"
    delimiter: str = ";"
    locale: str | None = None  # the form field sent
    status_locale: tuple[str | None, str | None] = (None, None)  # status locale, source
    reading_keywords: list[str] = field(default_factory=list)

    def expectation(self) -> dict[str, Any]:
        entry = self.case.expectation()
        entry.pop("sheet")
        return {
            "file": self.case.file,
            "locale": self.locale,
            "status_locale": list(self.status_locale),
            "reading_keywords": self.reading_keywords,
            **entry,
        }


def _csv_case(name: str, covers: list[str]) -> tuple[Case, Any]:
    case = Case(name, covers)
    return case, case.new_sheet("Sheet1")


def german() -> Upload:
    """The issue's file: 100 rows of the template, all valid, no option given."""
    case, sheet = _csv_case("de-DE_excel_semicolon.csv", ["de-DE", "cp1252", "detected"])
    case.table(sheet, make_orders(100_001, 100, seed=27), cells=GERMAN.cells)
    reading = ["read as de-DE", "decimal comma", "day-first", "detected"]
    return Upload(case, status_locale=("de-DE", "detected"), reading_keywords=reading)


def french() -> Upload:
    case, sheet = _csv_case("fr-FR_excel_semicolon.csv", ["fr-FR", "nbsp grouping", "VRAI"])
    odd = {
        7: Odd("ordered_at", "31/04/2024 10:00", "valid"),
        21: Odd("express", "peut-être", "boolean"),
    }
    case.table(sheet, make_orders(200_001, 60, seed=28), cells=FRENCH.cells, odd=odd)
    return Upload(case, status_locale=("fr-FR", "detected"), reading_keywords=["fr-FR"])


def brazilian() -> Upload:
    case, sheet = _csv_case("pt-BR_excel_utf8.csv", ["pt-BR", "utf-8 bom", "sim/não"])
    odd = {4: Odd("amount", "-1,50", "at least 0"), 30: Odd("express", "talvez", "sim/não")}
    case.table(sheet, make_orders(300_001, 50, seed=29), cells=BRAZILIAN.cells, odd=odd)
    upload = Upload(case, encoding="utf-8-sig", status_locale=("pt-BR", "detected"))
    upload.reading_keywords = ["pt-BR", "decimal comma"]
    return upload


def american() -> Upload:
    case, sheet = _csv_case("en-US_excel_comma.csv", ["en-US", "month-first", "1,234.56"])
    odd = {12: Odd("ordered_at", "2/30/2024 10:00", "valid")}
    case.table(sheet, make_orders(400_001, 80, seed=30), cells=AMERICAN.cells, odd=odd)
    upload = Upload(case, delimiter=",", status_locale=("en-US", "detected"))
    upload.reading_keywords = ["en-US", "month-first"]
    return upload


def euro() -> Upload:
    """Amounts in Excel's German currency format ('1.234,50 €'; € is 0x80 in cp1252), one
    in dollars: the minority currency is the row's error, the rest are read as numbers."""
    case, sheet = _csv_case("de-DE_excel_euro.csv", ["de-DE", "currency", "1.234,50 €"])
    odd = {9: Odd("amount", "12,50 $", "currency")}
    orders = make_orders(110_001, 40, seed=34)
    case.table(sheet, orders, cells=replace(GERMAN, money="{} €").cells, odd=odd)
    reading = ["read as de-DE", "decimal comma", "detected"]
    return Upload(case, status_locale=("de-DE", "detected"), reading_keywords=reading)


def dollar() -> Upload:
    """Amounts in Excel's US accounting format ('$1,234.50', '($2.50)' a negative)."""
    case, sheet = _csv_case("en-US_excel_dollar.csv", ["en-US", "currency", "($2.50)"])
    odd = {5: Odd("amount", "($2.50)", "at least 0")}
    orders = make_orders(410_001, 40, seed=35)
    case.table(sheet, orders, cells=replace(AMERICAN, money="${}").cells, odd=odd)
    upload = Upload(case, delimiter=",", status_locale=("en-US", "detected"))
    upload.reading_keywords = ["en-US", "month-first"]
    return upload


def _early_orders(first_id: int, count: int) -> list[Order]:
    """Orders dated only on days 1-12 of months 1-12: every date reads both ways."""
    orders = make_orders(first_id, count, seed=31)
    return [
        Order(
            **{
                **asdict(order),
                "ordered_at": datetime(2024, 1 + i % 12, 1 + (i * 5) % 12, 9, 30),
                "amount": Decimal("12.50") + i,
            }
        )
        for i, order in enumerate(orders)
    ]


def ambiguous(locale: str | None) -> Upload:
    """Every date <= 12/12, amounts with a decimal comma in even rows and a point in odd."""
    case, sheet = _csv_case("ambiguous.csv", ["ambiguous", "no locale detected"])
    orders = _early_orders(500_001, 24)

    def cells(order: Order, index: int, row: int) -> dict[str, Any]:
        values = AMERICAN.cells(order, index, row)
        values["ordered_at"] = order.ordered_at.strftime("%d/%m/%Y %H:%M")
        values["amount"] = f"{order.amount:.2f}".replace(".", "," if index % 2 == 0 else ".")
        return values

    written = [cells(order, i, 0) for i, order in enumerate(orders)]
    if locale is None:  # every date is ambiguous: no row is valid
        odd = {i: Odd("ordered_at", w["ordered_at"], "locale") for i, w in enumerate(written)}
        case.table(sheet, orders, cells=cells, odd=odd)
        reading = ["no locale detected", "decimal comma", "day-first and month-first", "locale"]
        return Upload(case, delimiter=",", reading_keywords=reading)
    # read as en-GB: dates day-first; the amounts with a decimal comma are errors
    odd = {i: Odd("amount", w["amount"], locale) for i, w in enumerate(written) if i % 2 == 0}
    case.table(sheet, orders, cells=cells, odd=odd)
    reading = [f"read as {locale}", "day-first", "chosen"]
    upload = Upload(case, delimiter=",", locale=locale, status_locale=(locale, "chosen"))
    upload.reading_keywords = reading
    return upload


def xlsx_text_cells() -> Upload:
    """A workbook: amounts and quantities as number cells, dates and booleans as text typed
    the German way. The typed cells are read as numbers; the text detects de-DE."""
    case = Case("de-DE_text_cells.xlsx", ["xlsx", "typed cells", "de-DE text cells"])
    orders = make_orders(600_001, 30, seed=32)

    def cells(order: Order, index: int, row: int) -> dict[str, Any]:
        values = typed_cells(order, index, row)
        values["ordered_at"] = GERMAN.moment(order.ordered_at)
        values["express"] = None if order.express is None else GERMAN.words[not order.express]
        return values

    case.table(case.new_sheet("Bestellungen"), orders, cells=cells)
    return Upload(case, encoding="", status_locale=("de-DE", "detected"))


# the amounts: number cells 1234.5 and 3.01, text cells 1.234,50 and 3,01
MIXED_AMOUNTS = [Decimal("1234.50"), Decimal("1234.50"), Decimal("3.01"), Decimal("3.01")]


def mixed_amounts(fmt: str) -> Upload:
    """A workbook whose amount column mixes number cells with text cells typed the German
    way, every other row: a number cell is a number in any locale, the text follows de-DE,
    detected (the text alone is evidence; tests/unit/producer/readers/test_number_cells.py
    reads them as de-DE chosen). A number cell with three decimals (1.234) is an invalid
    row, never 1234. Every other cell is typed."""
    covers = [fmt, "number and text cells in one column", "de-DE text cells"]
    case = Case(f"de-DE_mixed_amounts.{fmt}", covers)
    first_id = {"xlsx": 700_001, "ods": 710_001, "xls": 720_001}[fmt]
    orders = make_orders(first_id, 24, seed=33)
    orders = [
        replace(o, amount=MIXED_AMOUNTS[i] if i < len(MIXED_AMOUNTS) else o.amount)
        for i, o in enumerate(orders)
    ]

    def cells(order: Order, index: int, row: int) -> dict[str, Any]:
        values = typed_cells(order, index, row)
        if order.amount is not None and index % 2:
            values["amount"] = GERMAN.amount(order.amount)
        return values

    odd = {6: Odd("amount", 1.234, "decimal places")}
    case.table(case.new_sheet("Bestellungen"), orders, cells=cells, odd=odd)
    upload = Upload(case, encoding="", status_locale=("de-DE", "detected"))
    upload.reading_keywords = ["read as de-DE", "detected"]
    return upload


def uploads() -> list[Upload]:
    mixed = [mixed_amounts(fmt) for fmt in ("xlsx", "ods", "xls")]
    return [
        german(),
        french(),
        brazilian(),
        american(),
        euro(),
        dollar(),
        ambiguous(None),
        ambiguous("en-GB"),
        xlsx_text_cells(),
        *mixed,
    ]


def write_csv(upload: Upload, path: Path) -> None:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=upload.delimiter, lineterminator="\r\n")
    for row in upload.case.sheets[0].rows:
        writer.writerow(["" if v is None else str(v) for v in row])
    path.write_bytes(text.getvalue().encode(upload.encoding))


def write_xlsx(upload: Upload, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    spec = upload.case.sheets[0]
    sheet.title = spec.name
    for row in spec.rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2, min_col=COLUMNS.index("amount") + 1, max_col=5):
        for cell in cells:
            cell.number_format = "#,##0.00"
    book.save(path)


def write_converted(upload: Upload, path: Path) -> None:
    """.ods and .xls: the workbook written as .xlsx, converted by LibreOffice (it keeps each
    cell's type); without soffice the committed file is kept."""
    if soffice() is None:
        print(f"warning: {path.name}: soffice is missing; kept the committed copy")
        return
    with tempfile.TemporaryDirectory(prefix="locale-corpus-") as tmp:
        plain = Path(tmp) / f"{path.stem}.xlsx"
        write_xlsx(upload, plain)
        convert(plain, path.suffix[1:], path, Path(tmp))


def main() -> int:
    entries: dict[str, Any] = {"_about": ABOUT}
    written: set[str] = set()
    for upload in uploads():
        path = HERE / upload.case.file
        if path.name in written:
            pass  # the same file, uploaded again with another locale
        elif path.suffix == ".csv":
            write_csv(upload, path)
        elif path.suffix == ".xlsx":
            write_xlsx(upload, path)
        else:
            write_converted(upload, path)
        written.add(path.name)
        key = upload.case.file + (f"@{upload.locale}" if upload.locale else "")
        entries[key] = upload.expectation()
        print(f"wrote {path.name} ({key})")
    EXPECTED.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
