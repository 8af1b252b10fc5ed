"""The clean start of a measured window: what it does on whose server."""

from __future__ import annotations

import pytest

from bench import bulk_counters, bulk_pgstats
from ops.devservers.postgres import ENV_URL

URL = "postgresql+psycopg://postgres@127.0.0.1:5999/run_2"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(bulk_pgstats, "vacuum_others", lambda url: seen.append("vacuum") or 1.5)
    monkeypatch.setattr(bulk_pgstats, "checkpoint", lambda url: seen.append("checkpoint") or True)
    return seen


def test_on_its_own_server_the_bench_vacuums_then_checkpoints(
    calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    assert bulk_counters.clean_start(URL) == {"vacuumed_s": 1.5, "checkpoint": True}
    assert calls == ["vacuum", "checkpoint"]


def test_on_a_server_it_was_given_the_bench_vacuums_no_one_elses_databases(
    calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_URL, "postgresql://someone@db.example:5432/theirs")
    assert bulk_counters.clean_start(URL) == {"vacuumed_s": None, "checkpoint": True}
    assert calls == ["checkpoint"]
