"""Paused uploads that nobody maps expire: a thread of each API process looks for uploads
parked longer than BULKFLOW_MAPPING_TIMEOUT_S and fails their jobs with a mapping_expired job
event (the aggregator ignores it for a job whose mapping came in meanwhile). Two API
processes never both expire one upload: taking its row out of the table decides who does."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from api.background_loop import BackgroundLoop
from database.column_mappings import expired_paused, release_paused
from messaging.names import topic_names
from messaging.publisher import Delivery, Publisher
from schemas.records import JobEvent, UploadRecord
from schemas.settings import Settings

log = logging.getLogger(__name__)
CHECK_EVERY_S = 60.0


def expiry_reason(timeout_s: float) -> str:
    hours = timeout_s / 3600
    span = f"{hours:g} h" if hours >= 1 else f"{timeout_s:g} s"
    return (
        f"nobody confirmed the column mapping within {span}; upload the file again and map "
        "its columns"
    )


class MappingExpiry(BackgroundLoop):
    thread_name = "mapping-expiry"

    def __init__(
        self,
        settings: Settings,
        engine: Callable[[], Engine],
        publisher: Callable[[], Publisher],
    ) -> None:
        super().__init__()
        self.settings = settings
        self._engine = engine
        self._publisher = publisher
        self.every_s = max(0.5, min(CHECK_EVERY_S, settings.mapping_timeout_s / 4))

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.expire(datetime.now(UTC))
            except Exception as exc:  # the database or Kafka is away: the next pass retries
                log.warning("paused uploads not checked for expiry: %s", exc)

    def expire(self, now: datetime) -> list[str]:
        """Fail the uploads whose mapping is overdue; their job ids."""
        engine = self._engine()
        done = []
        for paused in expired_paused(engine, now):
            if not release_paused(engine, paused.job_id):
                continue  # another API process took it
            record = UploadRecord.model_validate_json(paused.upload)
            reason = expiry_reason(self.settings.mapping_timeout_s)
            event = JobEvent.of_upload(record, "mapping_expired", reason=reason)
            publisher = self._publisher()
            delivery = Delivery()
            publisher.produce(
                topic_names(self.settings).jobs,
                event.model_dump_json().encode(),
                record.job_id.encode(),
                delivery=delivery,
            )
            publisher.wait(delivery)
            log.info("upload %s: its column mapping expired", record.job_id)
            done.append(record.job_id)
        return done
