"""bench fresh's --fresh: which servers start afresh before each run."""

from __future__ import annotations

import pytest

from bench import fresh_servers


def test_both_servers_by_default() -> None:
    assert fresh_servers.parse_args([]).fresh == {"pg", "broker"}


def test_none_keeps_both_for_every_run() -> None:
    assert fresh_servers.parse_args(["--fresh", "none"]).fresh == set()


def test_an_unknown_server_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        fresh_servers.parse_args(["--fresh", "pg,kafka"])
    assert "--fresh: kafka (known: pg, broker)" in capsys.readouterr().err
