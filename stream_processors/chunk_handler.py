"""One chunk, start to finish, without Kafka: decode, validate, persist exactly once.

The faust agent hands a record's headers and payload to ``ChunkHandler.handle`` (in a
thread, since it is CPU and database work) and sends what comes back. Transient database
errors are retried here with backoff, forever: the chunk's offset is never committed
before its rows are. What can never succeed comes back as a dead letter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import exc as sa_exc

from database.chunk_store import prepare_chunk, save_chunk
from database.dead_letters import record_failure
from database.engine import make_engine
from database.migrations import ensure_schema, migrate_datasets
from database.preflight import DatabaseSettingError, setting_problem
from database.schema_diff import SchemaChangeRefused
from schemas.arrow_codec import ROW_COLUMN, decode_batch
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import DatasetError
from schemas.headers import ChunkHeaders
from schemas.locales import LocaleError
from stream_processors.bounded import BoundedDict
from stream_processors.chunk_output import ChunkOutput, chunk_result
from stream_processors.errors import PermanentChunkError, TransientDatabaseError, classify_db_error
from stream_processors.priority_gate import PriorityGate
from stream_processors.result_records import replay_id_of, result_records
from stream_processors.validation import validate_batch

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_BACKOFF_S = 30.0
CONFLICTED_JOBS_KEPT = 1024


class ChunkHandler:
    def __init__(self, database_url: str, datasets: DatasetRegistry) -> None:
        self.datasets = datasets
        # no pre-ping: a dropped connection fails the chunk's transaction, which _retry redoes
        self.engine = make_engine(database_url, pool_pre_ping=False)
        self._ready: set[str] = set()  # the datasets whose tables are there
        self._shared_tables_ready = False  # the tables every dataset shares (dead letters)
        # jobs whose rows met existing keys (re-uploads): their next chunks upsert at once
        self._conflicted: BoundedDict[None] = BoundedDict(CONFLICTED_JOBS_KEPT)
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        # SQLite has one writer at a time: the chunks queue for it here, most urgent tier
        # first, rather than in SQLite's busy handler, which favours no one
        single_writer = self.engine.dialect.name == "sqlite"
        self.write_gate = PriorityGate(1) if single_writer else None

    def prepare(self) -> None:
        """Migrate every dataset's table at start. A change that would lose data, or one this
        role may not make, stops the start (SchemaChangeRefused), and so does a database URL
        that cannot work (DatabaseSettingError: a wrong CA, password, host); a database that
        does not answer yet is left to the first chunk of each dataset, which retries."""
        try:
            done = migrate_datasets(self.engine, self.datasets)
        except SchemaChangeRefused:
            raise
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            problem = setting_problem(exc, self.engine.url)
            if problem is not None:
                raise DatabaseSettingError(problem) from exc
            log.warning("dataset tables not checked at start (%s); the first chunk will", exc)
            return
        with self._lock:
            self._ready.update(done)

    def _dataset(self, name: str) -> Dataset:
        dataset = self.datasets.get(name)
        if name not in self._ready:
            with self._lock:
                if name not in self._ready:
                    source = str(self.datasets.directory / f"{name}.yaml")
                    self._retry(
                        lambda: ensure_schema(self.engine, dataset, source=source), "create tables"
                    )
                    self._ready.add(name)
        return dataset

    def _retry(self, action: Callable[[], T], what: str) -> T:
        delay = 0.2
        while True:
            try:
                return action()
            except SchemaChangeRefused:
                raise  # the dataset file and its table disagree: no retry can mend that
            except Exception as exc:
                error = classify_db_error(exc)
                if not isinstance(error, TransientDatabaseError) or self.stopping.is_set():
                    raise error from exc
                log.warning("%s: %s; retrying in %.1fs", what, error, delay)
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)

    def _write(self, action: Callable[[], T], priority: int) -> T:
        if self.write_gate is None:
            return action()
        with self.write_gate.slot(priority):
            return action()

    def handle(
        self,
        headers: Any,
        payload: bytes,
        *,
        source_topic: str | None = None,
        persist: bool = True,
        priority: int = 0,
    ) -> ChunkOutput:
        """``persist=False`` validates only (a replay that re-emits results): nothing is
        written, not even a dead letter. ``priority``: the chunk's tier, 0 the most urgent,
        for its turn at a single-writer database."""
        started = time.perf_counter()
        try:
            meta = ChunkHeaders.from_kafka(headers)
        except (KeyError, ValueError) as exc:
            raise PermanentChunkError(f"chunk headers are missing or malformed: {exc}") from exc
        output = self._handle(meta, headers, payload, started, source_topic, persist, priority)
        replay_id = replay_id_of(headers)
        if replay_id is not None and output.chunk_result.replay_id is None:  # a dead letter
            tagged = output.chunk_result.model_copy(update={"replay_id": replay_id.decode()})
            output = replace(output, chunk_result=tagged)
        return output

    def _handle(
        self,
        meta: ChunkHeaders,
        headers: Any,
        payload: bytes,
        started: float,
        source_topic: str | None,
        persist: bool,
        priority: int,
    ) -> ChunkOutput:
        try:
            dataset = self._dataset(meta.dataset)
            batch = decode_batch(payload)
            if ROW_COLUMN not in batch.schema.names:
                raise pa.ArrowInvalid(f"the batch has no {ROW_COLUMN} column")
        except SchemaChangeRefused as exc:
            return self._dead(meta, str(exc), started, source_topic, persist)
        except DatasetError as exc:
            return self._dead(meta, str(exc), started, source_topic, persist)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
            reason = f"the chunk payload cannot be decoded: {exc}"
            return self._dead(meta, reason, started, source_topic, persist)
        try:
            checked = validate_batch(batch, dataset, meta.locale)
        except LocaleError as exc:  # a locale this worker does not know: no retry helps
            return self._dead(meta, str(exc), started, source_topic, persist)
        if not persist:
            return self._validated(meta, dataset, checked, started, headers)
        what = f"saving chunk {meta.job_id}:{meta.chunk_no}"
        try:
            # Rows cast and driver values made before the write gate: SQLite's one writer
            # waits for the database work only, not for another chunk's Python.
            prepared = self._retry(
                lambda: prepare_chunk(
                    self.engine.dialect.name,
                    dataset,
                    job_id=meta.job_id,
                    tenant=meta.tenant,
                    valid=checked.valid,
                    errors=checked.errors,
                    invalid=checked.invalid_rows,
                    corrects=meta.corrects,
                ),
                what,
            )
            saved = self._retry(
                lambda: self._write(
                    lambda: save_chunk(
                        self.engine,
                        dataset,
                        prepared,
                        chunk_no=meta.chunk_no,
                        expect_conflicts=meta.job_id in self._conflicted,
                    ),
                    priority,
                ),
                what,
            )
        except PermanentChunkError as exc:
            last_row = _last_row(batch)
            return self._dead(meta, str(exc), started, source_topic, persist, last_row)
        if saved.key_conflict:
            with self._lock:
                self._conflicted.remember(meta.job_id, None)
        replay_id = replay_id_of(headers)
        records = result_records(dataset, meta, checked.valid, replay_id)
        result = chunk_result(
            meta,
            started,
            rows_ok=saved.rows_ok,
            rows_failed=saved.rows_failed,
            errors=checked.errors,
            replay_id=replay_id,
            written=not saved.already_saved,
            result_records=len(records),
            repeated_keys=saved.repeated_keys,
        )
        return ChunkOutput(
            meta.job_id,
            result,
            tuple(records),
            dataset.name,
            dataset.results_name,
            already_saved=saved.already_saved,
        )

    def _validated(
        self, meta: ChunkHeaders, dataset: Dataset, checked: Any, started: float, headers: Any
    ) -> ChunkOutput:
        replay_id = replay_id_of(headers)
        records = result_records(dataset, meta, checked.valid, replay_id)
        result = chunk_result(
            meta,
            started,
            rows_ok=checked.valid.num_rows,
            rows_failed=len({e.row for e in checked.errors}),
            errors=checked.errors,
            replay_id=replay_id,
            result_records=len(records),
        )
        return ChunkOutput(meta.job_id, result, tuple(records), dataset.name, dataset.results_name)

    def _dead(
        self,
        meta: ChunkHeaders,
        reason: str,
        started: float,
        source_topic: str | None = None,
        persist: bool = True,
        last_row: int | None = None,
    ) -> ChunkOutput:
        log.error("chunk %s:%d dead-lettered: %s", meta.job_id, meta.chunk_no, reason)
        if persist:
            self._record_dead_letter(meta, reason, source_topic)
        result = chunk_result(
            meta,
            started,
            rows_ok=0,
            rows_failed=meta.row_count,
            dead_letter_reason=reason,
            last_row=last_row,
        )
        return ChunkOutput(meta.job_id, result, dead_letter_reason=reason)

    def _record_dead_letter(self, meta: ChunkHeaders, reason: str, source: str | None) -> None:
        # The DLQ topic keeps the payload; this row is the letter's state (dlq list/redrive).
        # A database that refuses it must not stop the worker: the topic still has the letter.
        try:
            if not self._shared_tables_ready:  # a letter may come before any dataset
                self._retry(lambda: ensure_schema(self.engine), "create tables")
                self._shared_tables_ready = True
            self._retry(
                lambda: record_failure(
                    self.engine,
                    job_id=meta.job_id,
                    chunk_no=meta.chunk_no,
                    tenant=meta.tenant,
                    dataset=meta.dataset,
                    source_topic=source,
                    reason=reason,
                ),
                f"recording dead letter {meta.job_id}:{meta.chunk_no}",
            )
        except Exception:
            log.exception("chunk %s:%d: dead letter not recorded", meta.job_id, meta.chunk_no)

    def close(self) -> None:
        self.stopping.set()
        self.engine.dispose()


def _last_row(batch: pa.RecordBatch) -> int | None:
    """The chunk's last spreadsheet row number (rows may skip blank lines)."""
    if batch.num_rows == 0:
        return None
    value = pc.max(batch.column(ROW_COLUMN)).as_py()
    return int(value) if value is not None else None
