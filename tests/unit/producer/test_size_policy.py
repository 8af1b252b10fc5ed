"""Chunk size policy: rows by topic lag, capped by the byte ceiling."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from producer.publish_job import chunk_rows_for
from producer.size_policy import choose_chunk_rows
from schemas.records import UploadRecord
from schemas.settings import Settings, load_settings


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.mark.parametrize(
    ("lag", "rows"), [(0, 10000), (50, 10000), (51, 8000), (100, 8000), (101, 5000), (10**6, 5000)]
)
def test_rows_follow_lag(lag: int, rows: int) -> None:
    tiered = load_settings(chunk_rows_busy=5000, chunk_rows_normal=8000, chunk_rows_idle=10000)
    assert choose_chunk_rows(lag, 50.0, tiered) == rows


@pytest.mark.parametrize("lag", [0, 51, 101, 10**6])
def test_by_default_chunks_stay_large_under_load(settings: Settings, lag: int) -> None:
    # per-chunk costs dominate under load; small uploads still meet their latency goal
    assert choose_chunk_rows(lag, 50.0, settings) == 10000


def test_wide_rows_are_capped_under_the_byte_ceiling(settings: Settings) -> None:
    rows = choose_chunk_rows(0, 4096.0, settings)
    assert rows < 2000
    assert rows * 4096 < settings.chunk_max_bytes


def test_never_below_one_row(settings: Settings) -> None:
    assert choose_chunk_rows(0, 50.0 * 1024 * 1024, settings) == 1


def test_unknown_row_size_does_not_cap(settings: Settings) -> None:
    assert choose_chunk_rows(0, 0.0, settings) == 10000


def test_settings_are_honoured() -> None:
    custom = Settings(chunk_rows_idle=10, chunk_rows_busy=3, chunk_lag_busy=5, chunk_lag_normal=2)
    assert choose_chunk_rows(0, 10.0, custom) == 10
    assert choose_chunk_rows(6, 10.0, custom) == 3


def _upload(tmp_path: Path, size_bytes: int, estimated_rows: int) -> UploadRecord:
    return UploadRecord(
        job_id="j",
        tenant="t",
        dataset="orders",
        filename="f.csv",
        spool_path=str(tmp_path / "f.csv"),
        size_bytes=size_bytes,
        estimated_rows=estimated_rows,
        tier="low",
        submitted_at=datetime.now(UTC),
    )


def test_a_job_without_a_row_estimate_gets_the_size_for_the_lag(
    tmp_path: Path, settings: Settings
) -> None:
    # 200 KB and no estimate: not "one 200 KB row" (that gave 2-row chunks)
    assert (
        chunk_rows_for(_upload(tmp_path, 200_000, 0), settings, lag_chunks=0)
        == settings.chunk_rows_idle
    )


def test_a_job_plan_caps_wide_rows_and_is_kept(tmp_path: Path, settings: Settings) -> None:
    upload = _upload(tmp_path, 100_000_000, 10_000)  # 10 KB a row
    rows = chunk_rows_for(upload, settings, lag_chunks=0)
    assert rows * 10_000 <= settings.chunk_max_bytes
    # the plan is read back, whatever the lag says now
    assert chunk_rows_for(upload, settings, lag_chunks=10**6) == rows
