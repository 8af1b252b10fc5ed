"""A spool is a cache with a bound: what may leave it, and when.

An uploaded file is needed only until the producer has parsed it: once its job is sealed or
failed, a re-parse fetches it from ``uploads-blobs`` again (while Kafka keeps it). So the API
releases its file when it sees the seal, and a producer its fetched copy when its seal is
delivered (``release``). What a crash or a missed status leaves behind goes by ``sweep``,
which the API and each producer run at start and then every few minutes:

* a fetch's ``.partial`` file whose process is gone;
* an upload file without its record copy, untouched for ``ORPHAN_AFTER_S``: its upload was
  never published (the API stopped between writing and publishing it);
* the file of a job that has ended (the database says so), oldest ended first;
* the record copy and chunk plan of a job, once its file is gone and they are older than
  ``keep_side_s`` (the blob topic's retention: no re-parse can fetch the file after that);
  with them, a file whose upload record has expired from Kafka too (no producer can take
  it any more).

A file whose job may still run never goes. The size cap (``BULKFLOW_SPOOL_MAX_BYTES``) is
what the API checks before it takes an upload: over the cap once a sweep has removed what
may go, it refuses the upload (the spool is full of files still waiting to be parsed).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from files.spool import CHUNK_PLAN_SUFFIX, UPLOAD_RECORD_SUFFIX, Spool

log = logging.getLogger(__name__)

ORPHAN_AFTER_S = 3600.0
_PARTIAL = re.compile(r"\.(\d+)\.partial$")
EndedJobs = Callable[[list[str]], dict[str, datetime]]


@dataclass(frozen=True)
class SpoolFile:
    path: Path
    size: int
    mtime: float  # epoch seconds

    @property
    def job_id(self) -> str:
        return self.path.name.partition(".")[0]


@dataclass
class SpoolScan:
    """A spool folder's files by kind (a file bulkflow did not name is left out). A spool
    holds few uploads but, for a re-parse, a week of small side files: those are counted,
    and only the ones past ``keep_side_s`` are listed (a sweep removes them)."""

    uploads: list[SpoolFile] = field(default_factory=list)
    partials: list[tuple[SpoolFile, int]] = field(default_factory=list)  # with the writer's pid
    recorded: set[str] = field(default_factory=set)  # upload file names with a record copy
    old_side_files: list[SpoolFile] = field(default_factory=list)  # record copies, plans
    side_files: int = 0
    side_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return self.side_bytes + sum(
            f.size for f in [*self.uploads, *(f for f, _ in self.partials)]
        )


def scan(folder: Path, keep_side_s: float = float("inf"), now: float | None = None) -> SpoolScan:
    """Stream the folder once; side files older than ``keep_side_s`` are listed."""
    found = SpoolScan()
    side_before = (time.time() if now is None else now) - keep_side_s
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed meanwhile
                continue
            name = entry.name
            if name.endswith((UPLOAD_RECORD_SUFFIX, CHUNK_PLAN_SUFFIX)):
                found.side_files += 1
                found.side_bytes += stat.st_size
                if name.endswith(UPLOAD_RECORD_SUFFIX):
                    found.recorded.add(name[: -len(UPLOAD_RECORD_SUFFIX)])
                if stat.st_mtime < side_before:
                    found.old_side_files.append(
                        SpoolFile(Path(entry.path), stat.st_size, stat.st_mtime)
                    )
                continue
            spooled = SpoolFile(Path(entry.path), stat.st_size, stat.st_mtime)
            partial = _PARTIAL.search(name)
            if partial is not None:
                found.partials.append((spooled, int(partial[1])))
            elif not name.startswith("."):
                found.uploads.append(spooled)
    return found


@dataclass(frozen=True)
class SweepPlan:
    remove: list[Path]
    reasons: dict[str, int]  # why, and how many files
    left_bytes: int  # what the spool holds once they are gone


def plan_sweep(
    found: SpoolScan,
    *,
    ended: dict[str, datetime],
    now: float,
    keep_side_s: float,
    alive: Callable[[int], bool],
    orphan_after_s: float = ORPHAN_AFTER_S,
) -> SweepPlan:
    """Pure: which files go (see the module's docstring). ``ended``: job id -> when it
    ended, for the jobs of ``found.uploads`` that have; ``found`` scanned with the same
    ``keep_side_s``."""
    remove: list[Path] = []
    reasons: dict[str, int] = {}

    def drop(files: Iterable[SpoolFile], why: str) -> None:
        chosen = list(files)
        remove.extend(f.path for f in chosen)
        if chosen:
            reasons[why] = reasons.get(why, 0) + len(chosen)

    drop((f for f, pid in found.partials if not alive(pid)), "fetch left by a stopped process")
    recorded = found.recorded
    kept: list[SpoolFile] = []
    finished: list[tuple[datetime, SpoolFile]] = []
    for upload in found.uploads:
        job_ended = ended.get(upload.job_id)
        if job_ended is not None:
            finished.append((job_ended, upload))
        elif upload.path.name not in recorded and now - upload.mtime > orphan_after_s:
            drop([upload], "never published")
        elif upload.path.name in recorded and now - upload.mtime > keep_side_s:
            drop([upload], "its upload record expired from Kafka")
        else:
            kept.append(upload)
    finished.sort(key=lambda pair: pair[0])  # the oldest ended first
    drop((upload for _, upload in finished), "its job ended")
    present = {u.path.name for u in kept}
    expired = [
        f
        for f in found.old_side_files
        if _upload_name(f) not in present and now - f.mtime > keep_side_s
    ]
    drop(expired, "record copy or chunk plan past the blob topic's retention")
    gone = set(remove)
    left = found.side_bytes - sum(f.size for f in expired)
    left += sum(f.size for f in kept) + sum(f.size for f, _ in found.partials if f.path not in gone)
    return SweepPlan(remove, reasons, left)


def _upload_name(side_file: SpoolFile) -> str:
    name = side_file.path.name
    for suffix in (UPLOAD_RECORD_SUFFIX, CHUNK_PLAN_SUFFIX):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine has this id (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(spool: Spool, ended_jobs: EndedJobs, keep_side_s: float) -> SweepPlan:
    """Scan the spool, ask which of its jobs have ended, and remove what may go."""
    now = time.time()
    found = scan(spool.folder, keep_side_s, now)
    ended: dict[str, datetime] = {}
    if found.uploads:
        try:
            ended = ended_jobs(sorted({u.job_id for u in found.uploads}))
        except Exception as exc:  # without the database only the certain leftovers go
            log.warning("spool %s: cannot ask which jobs ended: %s", spool.folder, exc)
    plan = plan_sweep(found, ended=ended, now=now, keep_side_s=keep_side_s, alive=pid_alive)
    for path in plan.remove:
        path.unlink(missing_ok=True)
    if plan.remove:
        summary = ", ".join(f"{n} {why}" for why, n in plan.reasons.items())
        log.info("spool %s: removed %d files (%s)", spool.folder, len(plan.remove), summary)
    return plan


def spool_bytes(folder: Path) -> int:
    """What the spool holds, in bytes (streamed: nothing kept per file)."""
    total = 0
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return 0
    with entries:
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


def release(upload_file: Path | str) -> int:
    """Remove a spooled upload file its job no longer needs; its record copy and chunk plan
    stay for a re-parse. Returns the bytes freed (0 when it was gone already)."""
    path = Path(upload_file)
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return 0
    return size
