"""The producer's side of column mapping: when no header row maps the required columns, the
file is read again with the tenant's saved mapping made for exactly this header, or the
upload is parked in the database and its job paused in needs_mapping for a person to map
(api/routes/mapping.py takes it from there)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from database.column_mappings import park_upload, saved_mappings
from database.engine import make_engine
from database.migrations import ensure_schema
from producer.mapping_preview import build_preview, exact_saved
from producer.readers.base import HeaderNotFound
from schemas.column_mapping import MappingPreview
from schemas.dataset import Dataset
from schemas.records import UploadRecord
from schemas.settings import Settings

log = logging.getLogger(__name__)


class MappingDesk:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        """Built on first use: most producers never meet a file that needs mapping."""
        if self._engine is None:
            engine = make_engine(self.settings.db_url)
            ensure_schema(engine)
            self._engine = engine
        return self._engine

    def next_step(
        self, upload: UploadRecord, error: HeaderNotFound, dataset: Dataset
    ) -> UploadRecord | MappingPreview | None:
        """The upload again with a saved mapping that fits this header exactly; else the
        preview a person maps from, once the upload is parked; None when a person could
        not map it (too few columns, an upload already mapped, a correction) or the
        database does not answer: the job fails with the header search's reason."""
        if upload.mapping is not None or upload.corrects is not None:
            return None
        required = sum(1 for c in dataset.columns if c.required)
        try:
            saved = saved_mappings(self.engine(), upload.tenant, upload.dataset)
            expires = datetime.now(UTC) + timedelta(seconds=self.settings.mapping_timeout_s)
            preview = build_preview(error, dataset, saved.newest_first, expires)
            if preview is None or len(preview.file_columns) < required:
                return None
            exact = exact_saved(preview, dataset, saved.by_signature)
            if exact is not None:
                log.info("job %s: read with the saved mapping %s", upload.job_id, exact)
                return upload.model_copy(update={"mapping": exact, "sheet": preview.sheet})
            park_upload(
                self.engine(),
                job_id=upload.job_id,
                tenant=upload.tenant,
                dataset=upload.dataset,
                upload=upload.model_dump_json(),
                file_columns=preview.file_columns,
                expires_at=expires,
            )
        except Exception:  # the database: the job fails with its reason, the producer goes on
            log.exception("job %s: cannot pause it for a column mapping", upload.job_id)
            return None
        return preview

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
