"""bench cluster's --kinds and its ratios to the open broker."""

from __future__ import annotations

import pytest

from bench import bulk_cluster


def test_kinds_default_to_all_four_in_order() -> None:
    assert bulk_cluster.parse_args([]).kinds == ["open", "tls", "replicated", "secured"]


def test_kinds_pick_some_of_them() -> None:
    assert bulk_cluster.parse_args(["--kinds", "secured, open"]).kinds == ["secured", "open"]


def test_an_unknown_kind_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bulk_cluster.parse_args(["--kinds", "open,mtls"])
    assert "--kinds: mtls (known: open, tls, replicated, secured)" in capsys.readouterr().err


def test_ratio_to_open_needs_both_runs() -> None:
    medians = {"open": 10.0, "secured": 20.2}
    assert bulk_cluster.over_open(medians, "secured") == 2.02
    assert bulk_cluster.over_open(medians, "replicated") is None
    assert bulk_cluster.over_open({"secured": 20.2}, "secured") is None
