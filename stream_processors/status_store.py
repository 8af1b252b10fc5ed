"""The aggregator's side of ``bulkflow_job_status``: its statuses go into the database from a
thread of its own, and a job it let go comes back from there when a late record arrives.

* ``offer``: the agent hands over each changed job; a final status is always written, a
  running one when its state changes, when it is first sealed, or every
  ``STORE_INTERVAL_S``. The agent never waits for the database.
* ``ended_before``: the finished jobs whose final status (and progress) the database holds,
  ended before a moment: the ones the table may let go.
* ``load``: the stored progress of jobs the table does not hold (a redrive, a replay, a
  re-parse or a late duplicate of a job let go), so each chunk is still counted once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from database.job_statuses import StatusWrite, load_progress, save_statuses
from schemas.records import UploadStatus
from stream_processors.bounded import BoundedDict
from stream_processors.errors import TransientDatabaseError, classify_db_error
from stream_processors.progress import JobProgress

log = logging.getLogger(__name__)
T = TypeVar("T")

STORE_INTERVAL_S = 5.0  # a running job's status reaches the database at least this often
FLUSH_INTERVAL_S = 0.5
MAX_BACKOFF_S = 30.0
REMEMBERED_JOBS = 100_000


@dataclass(frozen=True)
class StoredMark:
    state: str
    sealed: bool
    at: float  # monotonic


def should_store(
    last: StoredMark | None, status: UploadStatus, now: float, interval_s: float
) -> bool:
    """Whether a running job's new status goes to the database now (a final one always)."""
    if status.is_final or last is None:
        return True
    if status.state != last.state or (status.chunks_total is not None) != last.sealed:
        return True
    return now - last.at >= interval_s


@dataclass
class _Pending:
    write: StatusWrite
    partition: int


class StatusStore:
    def __init__(self, engine: Engine, interval_s: float = STORE_INTERVAL_S) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._marks: BoundedDict[StoredMark] = BoundedDict(REMEMBERED_JOBS)
        self._ended: dict[str, tuple[float, int]] = {}  # job -> (ended at, epoch s; partition)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    # the agent's side -----------------------------------------------------------------------

    def offer(self, progress: JobProgress, status: UploadStatus, partition: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._ended.pop(status.job_id, None)  # its stored state is about to change
            if not should_store(self._marks.get(status.job_id), status, now, self.interval_s):
                return
            self._marks.remember(
                status.job_id, StoredMark(status.state, status.chunks_total is not None, now)
            )
            write = StatusWrite(status, progress.model_dump_json())
            self._pending[status.job_id] = _Pending(write, partition)
        if status.is_final:
            self._wake.set()

    def ended_before(self, moment: float) -> list[tuple[str, int]]:
        """(job id, partition) of the stored finished jobs that ended before ``moment``
        (epoch seconds); they are forgotten here, so each is handed out once."""
        with self._lock:
            due = [(job, p) for job, (at, p) in self._ended.items() if at < moment]
            for job, _ in due:
                del self._ended[job]
                self._marks.pop(job, None)
        return due

    def load(self, job_ids: Iterable[str]) -> dict[str, JobProgress]:
        """Blocking (run it in a thread): the stored progress of these jobs. A database that
        does not answer is retried, with backoff, until it does: counting a chunk twice
        would be worse than waiting."""
        wanted = list(job_ids)
        if not wanted:
            return {}
        found = _retry(lambda: load_progress(self.engine, wanted), "reload jobs", self._stop)
        return {job: JobProgress.model_validate_json(text) for job, text in found.items()}

    # the writer thread ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="status-store", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self.flush()  # what is left, once more

    def _run(self) -> None:
        delay = FLUSH_INTERVAL_S
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            delay = FLUSH_INTERVAL_S if self.flush() else min(MAX_BACKOFF_S, delay * 2)

    def flush(self) -> bool:
        """Write what is pending in one transaction; False (kept for later) on failure."""
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return True
        try:
            save_statuses(self.engine, [p.write for p in batch.values()])
        except sa_exc.SQLAlchemyError as exc:
            self.failures += 1
            log.warning("job statuses not stored yet (%d jobs): %s", len(batch), exc)
            with self._lock:
                for job, pending in batch.items():
                    self._pending.setdefault(job, pending)  # a newer offer wins
            return False
        stored_at = time.time()
        with self._lock:
            for job, pending in batch.items():
                if pending.write.status.is_final and job not in self._pending:
                    self._ended[job] = (stored_at, pending.partition)
        return True

    # restored from the changelog ------------------------------------------------------------

    def restored(self, progress: JobProgress, status: UploadStatus, partition: int) -> None:
        """A job the table got back from its changelog: a finished one is stored again
        (idempotent; its owner may have stopped before it did) and then let go in turn."""
        if status.is_final:
            self.offer(progress, status, partition)

    def forget(self, job_id: str) -> None:
        """A job whose table entry went (a changelog tombstone)."""
        with self._lock:
            self._pending.pop(job_id, None)
            self._ended.pop(job_id, None)
            self._marks.pop(job_id, None)


def _retry(action: Callable[[], T], what: str, stop: threading.Event) -> T:
    delay = 0.5
    while True:
        try:
            return action()
        except sa_exc.SQLAlchemyError as exc:
            error = classify_db_error(exc)
            if not isinstance(error, TransientDatabaseError) or stop.is_set():
                raise
            log.warning("%s: %s; retrying in %.1fs", what, error, delay)
            time.sleep(delay)
            delay = min(MAX_BACKOFF_S, delay * 2)
