"""``bulkflow gc``: retention of the bookkeeping rows (database/retention.py does the
deleting, in small batches).

Why a command and not the workers: it is one process doing one thing on a schedule (cron,
a systemd timer, or ``bulkflow serve``, which runs it every ``BULKFLOW_GC_INTERVAL_S``), so
N workers never race over the same deletes, the chunk path carries no housekeeping, and an
operator can run it by hand, see what it would do (``--dry-run``) and read what it did.

The cut-offs (``plan_cutoffs``, pure):

* row errors and dead letters: per dataset, ``retention.row_errors_days`` and
  ``retention.dead_letters_days`` in its YAML (30 days each by default);
* ledger rows: ``BULKFLOW_LEDGER_RETENTION_DAYS`` (35) at least, and never while a topic
  still holds a record that could replay their chunk (messaging/replay_horizon.py): the
  cut-off is also an hour (clock skew) before the oldest such record. When Kafka cannot
  tell, no ledger row goes;
* idempotency keys: once older than ``BULKFLOW_IDEMPOTENCY_TTL_S``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from database import retention
from database.engine import make_engine
from database.migrations import ensure_schema
from messaging.replay_horizon import ReplayHorizon, replay_horizon
from schemas.dataset import Dataset, DatasetRegistry
from schemas.settings import Settings

CLOCK_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class Cutoffs:
    row_errors: dict[str, datetime]  # dataset -> jobs finished before this lose them
    dead_letters: dict[str, datetime]  # dataset -> letters last failed before this go
    ledger: datetime | None  # None: no ledger row goes (why: ``ledger_note``)
    ledger_note: str
    idempotency: datetime


def plan_cutoffs(
    now: datetime, datasets: list[Dataset], settings: Settings, horizon: ReplayHorizon
) -> Cutoffs:
    floor = now - timedelta(days=settings.ledger_retention_days)
    if not horizon.complete:
        ledger, note = None, f"kept: the replay horizon is unknown ({horizon.problem})"
    elif horizon.oldest_ms is None:
        ledger, note = floor, "no topic holds a replayable record"
    else:
        oldest = datetime.fromtimestamp(horizon.oldest_ms / 1000, UTC)
        ledger = min(floor, oldest - CLOCK_MARGIN)
        note = f"the oldest replayable record is from {oldest:%Y-%m-%d %H:%M} UTC"
    return Cutoffs(
        row_errors={d.name: now - timedelta(days=d.retention.row_errors_days) for d in datasets},
        dead_letters={
            d.name: now - timedelta(days=d.retention.dead_letters_days) for d in datasets
        },
        ledger=ledger,
        ledger_note=note,
        idempotency=now - timedelta(seconds=settings.idempotency_ttl_s),
    )


@dataclass
class GcReport:
    cutoffs: Cutoffs
    dry_run: bool
    removed: dict[str, int] = field(default_factory=dict)  # what -> rows (due, in a dry run)

    def lines(self) -> list[str]:
        verb = "due" if self.dry_run else "removed"
        c = self.cutoffs
        out = [f"{what}: {rows} {verb}" for what, rows in self.removed.items()]
        ledger = f"before {c.ledger:%Y-%m-%d %H:%M} UTC" if c.ledger else "none"
        out.append(f"ledger cut-off: {ledger} ({c.ledger_note})")
        return out


def run_gc(
    settings: Settings,
    *,
    dry_run: bool = False,
    engine: Engine | None = None,
    horizon: Callable[[Settings], ReplayHorizon] = replay_horizon,
) -> GcReport:
    own = engine is None
    engine = engine or make_engine(settings.db_url)
    try:
        ensure_schema(engine)
        datasets = DatasetRegistry(settings.datasets_dir).all()
        cutoffs = plan_cutoffs(datetime.now(UTC), datasets, settings, horizon(settings))
        report = GcReport(cutoffs, dry_run)
        for name, before in cutoffs.row_errors.items():
            if dry_run:
                selections = retention.expired_job_detail(name, before)
                rows = {kind: retention.count(engine, q) for kind, q in selections.items()}
            else:
                rows = retention.purge_row_errors(engine, name, before)[1]
            for kind, removed in rows.items():
                report.removed[f"{kind} of {name}"] = removed
        for name, before in cutoffs.dead_letters.items():
            selection = retention.expired_dead_letters(name, before)
            report.removed[f"dead letters of {name}"] = (
                retention.count(engine, selection)
                if dry_run
                else retention.purge_dead_letters(engine, name, before)
            )
        if cutoffs.ledger is not None:
            report.removed["chunk ledger rows"] = (
                retention.count(engine, retention.expired_ledger_rows(cutoffs.ledger))
                if dry_run
                else retention.purge_ledger(engine, cutoffs.ledger)
            )
        report.removed["idempotency keys"] = (
            retention.count(engine, retention.expired_idempotency_keys(cutoffs.idempotency))
            if dry_run
            else retention.purge_idempotency_keys(engine, cutoffs.idempotency)
        )
        return report
    finally:
        if own:
            engine.dispose()


BACKFILL_BATCH = 1_000


def backfill_statuses(settings: Settings, engine: Engine | None = None) -> int:
    """Copy every job's last status from the compacted progress topic into
    ``bulkflow_job_status`` (once, after upgrading from a version without that table: the
    API reads old jobs from there). A job the table has a newer status of keeps it."""
    from database.job_statuses import StatusWrite, save_statuses
    from messaging.names import group_names, instance_id, topic_names
    from ops.topic_scan import scan_topic
    from schemas.records import UploadStatus

    own = engine is None
    engine = engine or make_engine(settings.db_url)
    group = group_names(settings).job_lookup(instance_id())
    written = 0
    batch: list[StatusWrite] = []
    try:
        ensure_schema(engine)
        for msg in scan_topic(settings, topic_names(settings).progress, group):
            value = msg.value()
            if value:
                batch.append(StatusWrite(UploadStatus.model_validate_json(value)))
            if len(batch) >= BACKFILL_BATCH:
                written += save_statuses(engine, batch)
                batch = []
        return written + save_statuses(engine, batch)
    finally:
        if own:
            engine.dispose()
