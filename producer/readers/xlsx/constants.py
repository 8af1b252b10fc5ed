"""The numbers, names and words every part of the XLSX reader shares, defined once: Excel's
calendar and number display, the workbook's part names and namespaces, the read and memory
budgets, and the guard's messages."""

from __future__ import annotations

import datetime as dt

# --- Excel's calendar -------------------------------------------------------------------
# serial 0 of the 1900 date system (1899-12-30 makes the phantom 1900-02-29 come out right
# for every later serial) and of workbooks saved with <workbookPr date1904="1"/>
WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)
# serials the date fast path prints itself; the rest (times of day, 1900's phantom leap day,
# out of range, durations) go through openpyxl's own from_excel
FAST_SERIALS = (61, 2_900_000)

# --- numbers as Excel's General format shows them ---------------------------------------
EXACT_INT = 2**53  # beyond it a double's integer part is not exact
NANO = 10**9
# x * 1e9 must stay an exact integer in a double (< 2**53): beyond it nine decimals are
# more digits than a double holds anyway
FIXED_POINT_MAX = 9e6

# --- the workbook's parts ----------------------------------------------------------------
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS_PART = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"  # when the workbook's rels do not say
STYLES_PART = "xl/styles.xml"  # where openpyxl looks for it, whatever the rels say
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# --- read and memory budgets -------------------------------------------------------------
XML_BLOCK_BYTES = 1024 * 1024  # sheet and shared-strings XML is fed to expat in these
EXPAT_TEXT_BUFFER_BYTES = 64 * 1024
# the streaming path turns at least this many rows into Arrow at once, whatever the chunk
STREAM_MIN_BATCH_ROWS = 1024
# per-value caches of the streaming path (styles, columns, dates, numbers) stop growing here
CACHE_MAX = 100_000
# the header is usually within the first few KiB of a sheet: start small, grow for odd ones
HEAD_FIRST_READ_BYTES = 4096
HEAD_MAX_READ_BYTES = 1024 * 1024
# a row estimate reads this much of the sheet; its <dimension> is near the start
ESTIMATE_DIMENSION_BYTES = 2048
# a typical row of a sheet's XML (cells, references, styles) when no dimension is declared
ESTIMATE_BYTES_PER_ROW = 100

# --- the zip guard -----------------------------------------------------------------------
# a real workbook has tens of parts; thousands only serve to make scanning slow
MAX_ZIP_ENTRIES = 10_000
# a DOCTYPE can only precede the root element, so the prologue is all we must scan
MAX_PROLOGUE_BYTES = 64 * 1024
# tiny files compress oddly well (empty sheets are mostly boilerplate); judge the ratio
# only once the content is big enough to matter
RATIO_FLOOR_BYTES = 1024 * 1024
# compressed input is read in small blocks so that each one inflates within the output
# cap: a block that does not leaves an unconsumed tail, copied again on every call. Output
# pieces of 1 MiB cost page faults on every allocation; 256 KiB ones are reused
INFLATE_READ_BYTES = 64 * 1024
INFLATE_OUTPUT_BYTES = 256 * 1024

# --- messages for a person ---------------------------------------------------------------
NOT_XLSX = "not an Excel .xlsx workbook"
DAMAGED = "the XLSX file is damaged or truncated"
ENTITIES = "the workbook contains XML entity declarations, which are not allowed"
