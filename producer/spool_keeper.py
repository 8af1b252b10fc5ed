"""A producer's spool as a bounded cache (files/spool_sweep.py says what may leave it).

The copy of an upload the producer fetched from ``uploads-blobs`` leaves once the job's
seal (or failure) is delivered: a re-parse fetches it again while Kafka keeps it. A sweep at
start, then every ``SWEEP_EVERY_S``, removes what a crash left (a fetch's ``.partial``, a
copy whose job the database says has ended, side files past the blob topic's retention).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from database.engine import make_engine
from database.job_statuses import ended_jobs
from files.spool import Spool
from files.spool_sweep import release, sweep
from messaging.names import SPOOL_SIDE_FILES_S
from schemas.records import UploadRecord
from schemas.settings import Settings

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 300.0


class ProducerSpool:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spool = Spool.of(settings)
        self._engine: Engine | None = None
        self._swept_at: float | None = None

    def fetched_copy(self, upload: UploadRecord) -> Path | None:
        """Where this machine keeps its copy of a file sent through Kafka (None for a file
        that was never sent, whose spooled copy is the only one)."""
        if upload.blob is None:
            return None
        return self.spool.upload_path(upload.job_id, Path(upload.spool_path).name)

    def release(self, path: Path) -> None:
        release(path)

    def sweep_when_due(self) -> None:
        now = time.monotonic()
        if self._swept_at is not None and now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        try:
            plan = sweep(self.spool, self._ended, SPOOL_SIDE_FILES_S)
        except OSError as exc:
            log.warning("spool sweep of %s failed: %s", self.spool.folder, exc)
            return
        if plan.left_bytes > self.settings.spool_max_bytes:
            log.warning(
                "spool %s holds %d bytes of files still to be parsed, over its cap of %d "
                "(BULKFLOW_SPOOL_MAX_BYTES)",
                self.spool.folder,
                plan.left_bytes,
                self.settings.spool_max_bytes,
            )

    def _ended(self, job_ids: list[str]) -> dict[str, datetime]:
        if self._engine is None:
            self._engine = make_engine(self.settings.db_url)
        return ended_jobs(self._engine, job_ids)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
