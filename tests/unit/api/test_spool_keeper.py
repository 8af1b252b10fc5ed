"""The API's spool under its cap: a file goes at its job's seal; over the cap, ended jobs'
files go first, and a running job's file never does (the upload is refused instead)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from api.spool_keeper import SpoolKeeper
from files.spool import Spool
from schemas.records import UploadStatus
from schemas.settings import load_settings
from tests.support.statuses import make_status

KEEP_SIDE_S = 8 * 86400.0


def _status(job: str, state: str, chunks_total: int | None = None) -> UploadStatus:
    return make_status(job, state, chunks_total=chunks_total)


def _spooled(spool: Spool, job: str, size: int) -> Path:
    path = spool.upload_path(job, "orders.csv")
    path.write_bytes(b"x" * size)
    Spool.upload_record_path(path).write_text("{}")
    return path


def test_over_the_cap_ended_files_go_and_running_ones_stay(tmp_path: Path) -> None:
    settings = load_settings(spool_dir=tmp_path / "spool", spool_max_bytes=3_000)
    ended = {
        "ended-1": datetime(2026, 1, 2, tzinfo=UTC),
        "ended-2": datetime(2026, 1, 1, tzinfo=UTC),
    }
    keeper = SpoolKeeper(
        settings, lambda jobs: {j: ended[j] for j in jobs if j in ended}, KEEP_SIDE_S
    )
    spool = Spool.of(settings)
    running = _spooled(spool, "running", 1_500)
    for job in ended:
        _spooled(spool, job, 1_000)
    assert keeper.room_for(400)  # the ended jobs' files make room
    assert running.exists() and not spool.upload_path("ended-1", "x.csv").exists()
    assert not keeper.room_for(2_000)  # only the running job's file is left: refused
    assert running.exists()


def test_a_file_leaves_when_its_job_is_sealed_or_failed(tmp_path: Path) -> None:
    settings = load_settings(spool_dir=tmp_path / "spool")
    keeper = SpoolKeeper(settings, lambda jobs: {}, KEEP_SIDE_S)
    spool = Spool.of(settings)
    sealed, failed = _spooled(spool, "sealed", 10), _spooled(spool, "failed", 10)
    keeper.accepted("sealed", sealed, 10)
    keeper.accepted("failed", failed, 10)
    keeper.on_status(None, _status("sealed", "processing"))
    assert sealed.exists()  # still being parsed
    keeper.on_status(None, _status("sealed", "processing", chunks_total=3))
    keeper.on_status(None, _status("failed", "failed"))
    assert not sealed.exists() and not failed.exists()
    assert Spool.upload_record_path(sealed).exists()  # what a re-parse needs stays
