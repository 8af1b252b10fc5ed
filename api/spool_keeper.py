"""The API's spool as a bounded cache (files/spool_sweep.py says what may leave it).

* The file of an accepted upload leaves as soon as the status view shows the producer has
  sealed or failed its job (``on_status``, the view's change hook).
* A sweep at start, then every ``SWEEP_EVERY_S``, removes what a crash or a missed status
  left behind (files of ended jobs, the database says which; orphans; expired side files).
* ``room_for``: before an upload is taken, whether it fits under
  ``BULKFLOW_SPOOL_MAX_BYTES``; over it, a sweep runs first, and what is left is files of
  jobs still waiting to be parsed, which never go.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from api.background_loop import BackgroundLoop
from files.spool import Spool
from files.spool_sweep import EndedJobs, SweepPlan, release, scan, spool_bytes, sweep
from schemas.records import UploadStatus
from schemas.settings import Settings

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 300.0
RESCAN_EVERY_S = 30.0  # the spool's size is counted again at most this often


def file_done(status: UploadStatus) -> bool:
    """The producer is done with the job's file: sealed (its chunk count is known), failed
    or otherwise ended."""
    return status.chunks_total is not None or status.is_final


class SpoolKeeper(BackgroundLoop):
    thread_name = "spool-sweep"

    def __init__(
        self,
        settings: Settings,
        ended_jobs: EndedJobs,
        keep_side_s: float,
        on_release: Callable[[int], None] = lambda _count: None,
    ) -> None:
        super().__init__()
        self.spool = Spool.of(settings)
        self.cap = settings.spool_max_bytes
        self.keep_side_s = keep_side_s
        self._ended_jobs = ended_jobs
        self._on_release = on_release
        self._lock = threading.Lock()
        self._files: dict[str, Path] = {}  # job -> its file here, until released
        self._bytes = 0  # the last count plus what came in since
        self._counted_at = 0.0

    # the view's change hook ----------------------------------------------------------------

    def accepted(self, job_id: str, path: Path, size: int) -> None:
        with self._lock:
            self._files[job_id] = path
            self._bytes += size

    def on_status(self, _old: UploadStatus | None, new: UploadStatus) -> None:
        if not file_done(new):
            return
        with self._lock:
            path = self._files.pop(new.job_id, None)
        if path is not None:
            freed = release(path)
            with self._lock:
                self._bytes = max(0, self._bytes - freed)
            self._on_release(1)

    # the bound -----------------------------------------------------------------------------

    def size(self) -> int:
        """Blocking: the spool's bytes, counted again when the count is old."""
        if time.monotonic() - self._counted_at > RESCAN_EVERY_S:
            total = spool_bytes(self.spool.folder)
            with self._lock:
                self._bytes, self._counted_at = total, time.monotonic()
        return self._bytes

    def room_for(self, size: int) -> bool:
        """Blocking: whether ``size`` more bytes fit under the cap, after a sweep if need be."""
        if self.size() + size <= self.cap:
            return True
        left = self.sweep().left_bytes
        with self._lock:
            self._bytes, self._counted_at = left, time.monotonic()
        return left + size <= self.cap

    def sweep(self) -> SweepPlan:
        plan = sweep(self.spool, self._ended_jobs, self.keep_side_s)
        self._on_release(len(plan.remove))
        with self._lock:
            for path in plan.remove:
                self._files.pop(path.name.partition(".")[0], None)
        return plan

    # the sweeper ---------------------------------------------------------------------------

    def _run(self) -> None:
        self._index()
        while not self._stop.is_set():
            try:
                self.sweep()
                self.size()
            except Exception:  # the sweeper must not stop the API
                log.exception("spool sweep failed")
            self._stop.wait(SWEEP_EVERY_S)

    def _index(self) -> None:
        """The files already here when the API starts: released when their seal shows up."""
        found = scan(self.spool.folder)
        recorded = found.recorded
        with self._lock:
            for upload in found.uploads:
                if upload.path.name in recorded:
                    self._files.setdefault(upload.job_id, upload.path)
