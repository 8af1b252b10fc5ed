"""bench steady: the spread of a fixed parse sampled on the idle machine."""

from __future__ import annotations

import pytest

from bench.steady_machine import parse_args, spread


def sample(us: float, load1: float = 0.2) -> dict[str, float]:
    return {"at_s": 0.0, "us_per_row": us, "load1": load1}


def test_the_spread_gives_the_range_and_how_far_apart_its_ends_are() -> None:
    figures = spread([sample(v) for v in (1.0, 1.2, 1.3, 1.4, 1.6)])
    assert figures is not None
    assert (figures["min_us"], figures["median_us"], figures["max_us"]) == (1.0, 1.3, 1.6)
    assert figures["max_over_min"] == 1.6
    assert (figures["samples"], figures["busy_samples"]) == (5, 0)


def test_a_sample_taken_beside_other_work_is_counted_but_left_out() -> None:
    figures = spread([sample(1.0), sample(1.1), sample(3.0, load1=2.5)])
    assert figures is not None
    assert figures["max_us"] == 1.1 and figures["busy_samples"] == 1


def test_a_machine_busy_throughout_gives_no_spread() -> None:
    assert spread([sample(1.0, load1=1.5)]) is None


@pytest.mark.parametrize("option", ["--minutes", "--every"])
def test_a_duration_of_zero_is_refused_with_the_option_named(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args([option, "0"])
    assert "--minutes and --every must be above 0" in capsys.readouterr().err
