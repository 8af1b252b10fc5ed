"""Empty upload templates of a dataset: its header row as CSV and as XLSX (pure: bytes out)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from schemas.dataset import Dataset

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_header(dataset: Dataset) -> list[str]:
    """The column names in dataset order: the header the validators match first."""
    return [column.name for column in dataset.columns]


def template_csv(dataset: Dataset) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(template_header(dataset))
    # a byte-order mark so spreadsheet programs open it as UTF-8
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(dataset: Dataset) -> bytes:
    workbook = Workbook(write_only=True)
    # sheet titles are limited to 31 characters
    sheet = workbook.create_sheet(dataset.name[:31])
    sheet.append(template_header(dataset))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
