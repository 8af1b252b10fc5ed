"""The work probe: a fixed parse of XLSX files in a fresh process, in CPU µs per row."""

from __future__ import annotations

from pathlib import Path

from bench.bulk_workload import write_orders_xlsx_fast
from bench.work_probe import work_probe


def test_the_probe_parses_the_files_in_microseconds_per_row(tmp_path: Path) -> None:
    files = [write_orders_xlsx_fast(tmp_path / f"f{i}.xlsx", 500, start_id=i * 500) for i in (0, 1)]
    us = work_probe(files)
    # a row of the bench's files is a few cells: microseconds, never zero or milliseconds
    assert us is not None and 0.05 < us < 500


def test_a_probe_that_cannot_read_its_files_gives_no_figure(tmp_path: Path) -> None:
    assert work_probe([tmp_path / "missing.xlsx"]) is None
