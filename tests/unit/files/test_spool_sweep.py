"""What may leave a spool: a crash at any point leaves nothing that lives forever, and a file
whose job may still run never goes."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from files.spool import Spool
from files.spool_sweep import ORPHAN_AFTER_S, plan_sweep, release, scan, sweep

DAY = 86400.0
KEEP_SIDE_S = 8 * DAY


def _file(path: Path, size: int = 10, age_s: float = 0.0) -> Path:
    path.write_bytes(b"x" * size)
    moment = time.time() - age_s
    os.utime(path, (moment, moment))
    return path


def _upload(spool: Spool, job: str, *, age_s: float = 0.0, recorded: bool = True) -> Path:
    path = _file(spool.upload_path(job, "orders.csv"), 1000, age_s)
    if recorded:
        _file(Spool.upload_record_path(path), 100, age_s)
        _file(Spool.chunk_plan_path(path), 20, age_s)
    return path


def test_a_crash_at_any_point_leaves_nothing_that_lives_forever(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    hour = ORPHAN_AFTER_S
    running = _upload(spool, "running", age_s=2 * DAY)  # queued for two days, not ended
    just_in = _upload(spool, "incoming", recorded=False)  # the API is writing it now
    ended = _upload(spool, "ended", age_s=hour)  # sealed; its release was missed
    older_end = _upload(spool, "ended2", age_s=2 * hour)
    unpublished = _upload(spool, "unpublished", age_s=2 * hour, recorded=False)  # API died
    expired = _upload(spool, "expired", age_s=9 * DAY)  # its upload record left Kafka
    released = _upload(spool, "released", age_s=3 * DAY)
    released.unlink()  # its side files stay for a re-parse ...
    old_release = _upload(spool, "oldrelease", age_s=9 * DAY)
    old_release.unlink()  # ... until the blob topic's retention is past
    dead_fetch = _file(spool.folder / "fetching.csv.999999.partial")
    live_fetch = _file(spool.folder / f"fetchnow.csv.{os.getpid()}.partial")

    found = scan(spool.folder, KEEP_SIDE_S)
    ends = {"ended": datetime(2025, 1, 2, tzinfo=UTC), "ended2": datetime(2025, 1, 1, tzinfo=UTC)}
    plan = plan_sweep(
        found,
        ended=ends,
        now=time.time(),
        keep_side_s=KEEP_SIDE_S,
        alive=lambda pid: pid == os.getpid(),
    )

    gone = {p.name for p in plan.remove}
    assert gone == {
        "fetching.csv.999999.partial",
        unpublished.name,
        older_end.name,
        ended.name,
        expired.name,
        f"{expired.name}.upload.json",
        f"{expired.name}.plan.json",
        f"{old_release.name}.upload.json",
        f"{old_release.name}.plan.json",
    }
    # the oldest ended first
    assert [p.name for p in plan.remove].index(older_end.name) < [
        p.name for p in plan.remove
    ].index(ended.name)
    kept = {running.name, just_in.name, live_fetch.name, f"{released.name}.upload.json"}
    assert not kept & gone
    assert plan.left_bytes == sum(
        p.stat().st_size for p in spool.folder.iterdir() if p.name not in gone
    )
    assert plan.reasons["its job ended"] == 2
    assert dead_fetch.exists()  # planning removes nothing


def test_sweep_removes_the_planned_files_and_keeps_going_without_a_database(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "spool")
    ended = _upload(spool, "ended")
    orphan = _upload(spool, "orphan", age_s=2 * ORPHAN_AFTER_S, recorded=False)
    running = _upload(spool, "running")

    def no_database(_jobs: list[str]) -> dict[str, datetime]:
        raise OSError("the database does not answer")

    left = sweep(spool, no_database, KEEP_SIDE_S)
    assert not orphan.exists() and ended.exists() and running.exists()
    assert left.left_bytes == scan(spool.folder).total_bytes

    sweep(spool, lambda jobs: {"ended": datetime.now(UTC)} if "ended" in jobs else {}, KEEP_SIDE_S)
    assert not ended.exists() and running.exists()
    assert Spool.upload_record_path(ended).exists()  # kept for a re-parse


def test_release_keeps_what_a_re_parse_needs(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    path = _upload(spool, "job")
    assert release(path) == 1000
    assert not path.exists()
    assert Spool.upload_record_path(path).exists() and Spool.chunk_plan_path(path).exists()
    assert release(path) == 0  # already gone
