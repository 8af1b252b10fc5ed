"""The CPU probe: a fixed loop's CPU ns per pass, and its summary over a window."""

from __future__ import annotations

from bench.bulk_cpu_probe import probe_ns, summarise
from bench.bulk_instruments import machine_line
from tests.unit.bench.probe_support import figures_of, window


def test_a_probe_times_the_loop_in_nanoseconds_per_pass() -> None:
    ns = probe_ns()
    # a pass is a few Python bytecodes: nanoseconds, never microseconds or zero
    assert 1 < ns < 2_000


def test_the_summary_gives_the_median_and_the_tails() -> None:
    summary = summarise([40.0, 41.0, 42.0, 43.0, 90.0])
    assert summary == {"median_ns": 42.0, "p10_ns": 40.0, "p90_ns": 43.0, "samples": 5}
    assert summarise([]) is None


def test_the_summary_names_its_figures_by_the_unit_it_is_given() -> None:
    summary = summarise([150.0, 160.0, 900.0, 2100.0], "us_per_mib", 1)
    assert summary == {
        "median_us_per_mib": 530.0,  # an even count: the mean of the middle two
        "p10_us_per_mib": 150.0,
        "p90_us_per_mib": 900.0,
        "samples": 4,
    }


def test_the_machine_line_and_the_spread_carry_the_probe() -> None:
    probe = {"median_ns": 41.5, "p10_ns": 40.1, "p90_ns": 47.9, "samples": 30}
    resources = window(cpu_probe=probe)
    line = machine_line(resources)
    assert line is not None and "fixed loop 41.5 ns per pass (p10 40.1, p90 47.9)" in line
    assert figures_of(resources)["probe_ns"] == 41.5
    assert "fixed loop" not in (machine_line(window(cpu_probe=None)) or "")
