"""The memory probes: a copy through memory and a new file's pages, in CPU µs per MiB."""

from __future__ import annotations

from pathlib import Path

from bench.bulk_instruments import machine_line
from bench.bulk_memory_probe import CopyProbe, new_page_us_per_mib
from tests.unit.bench.probe_support import figures_of, window


def test_a_copy_probe_times_the_copy_in_microseconds_per_mib() -> None:
    probe = CopyProbe(mib=2)
    us = probe.us_per_mib()
    # a MiB moved by memcpy: from a few µs (in cache) to a few thousand on a starved host
    assert 1 < us < 100_000
    assert probe.target[-1] == 1  # the copy happened


def test_a_page_probe_times_the_writes_and_leaves_no_file(tmp_path: Path) -> None:
    us = new_page_us_per_mib(str(tmp_path))
    # a MiB copied into the page cache: tens of µs at best, never a second
    assert us is not None and 10 < us < 1_000_000
    assert list(tmp_path.iterdir()) == []


def test_a_folder_the_page_probe_cannot_write_gives_no_figure(tmp_path: Path) -> None:
    assert new_page_us_per_mib(str(tmp_path / "missing")) is None


def test_the_machine_line_and_the_spread_carry_both_probes() -> None:
    copy = {"median_us_per_mib": 52.4, "p10_us_per_mib": 44.0, "p90_us_per_mib": 71.0}
    page = {"median_us_per_mib": 1234.5, "p10_us_per_mib": 180.0, "p90_us_per_mib": 2100.0}
    resources = window(copy_probe=copy, page_probe=page)
    line = machine_line(resources)
    assert line is not None
    assert "a copy through memory 52 µs of CPU per MiB (p10 44, p90 71)" in line
    assert "a new file's page cache 1,234 µs of CPU per MiB (p10 180, p90 2,100)" in line
    figures = figures_of(resources)
    assert (figures["copy_us_per_mib"], figures["page_us_per_mib"]) == (52.4, 1234.5)
