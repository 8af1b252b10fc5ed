"""The housekeeping commands: ``gc`` (retention, ops/gc.py), ``backfill-statuses`` (once,
after an upgrade) and the sizes that ``bulkflow status`` prints without a job.

Thin: each parses its options and calls ops/gc.py or the database and spool rooms.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import typer
from rich.console import Console

from schemas.errors import BulkflowError
from schemas.settings import Settings, get_settings

Fail = Callable[[str], typer.Exit]


def size_lines(settings: Settings) -> list[str]:
    """This machine's spool and the database's bookkeeping tables, with their retention."""
    from database.engine import make_engine
    from database.migrations import ensure_schema
    from database.retention import bookkeeping_sizes
    from files.spool import Spool
    from files.spool_sweep import scan

    found = scan(Spool.of(settings).folder)
    lines = [
        f"spool {settings.spool_path}: {_mib(found.total_bytes)} in {len(found.uploads)} "
        f"uploads and {found.side_files} side files "
        f"(cap {_mib(settings.spool_max_bytes)}, BULKFLOW_SPOOL_MAX_BYTES)"
    ]
    engine = make_engine(settings.db_url)
    try:
        ensure_schema(engine)
        tables, total = bookkeeping_sizes(engine)
    finally:
        engine.dispose()
    if total is not None:
        lines.append(f"database: {_mib(total)}")
    for t in tables:
        size = f", {_mib(t.bytes)}" if t.bytes is not None else ""
        lines.append(f"  {t.table}: {t.rows} rows{size}")
    return lines


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def register(app: typer.Typer, console: Console, fail: Fail) -> None:
    @app.command("backfill-statuses")
    def backfill() -> None:
        """Copy every job's last status from the progress topic into the database, once,
        after upgrading from a version that kept statuses on the topic only."""
        from ops.gc import backfill_statuses

        try:
            written = backfill_statuses(get_settings())
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        console.print(f"{written} job statuses written to bulkflow_job_status")

    @app.command("gc")
    def gc(
        dry_run: bool = typer.Option(False, "--dry-run", help="count what is due, remove nothing"),
        every: float = typer.Option(
            0.0, "--every", help="run again every this many seconds until stopped (0: once)"
        ),
    ) -> None:
        """Remove bookkeeping past its retention: row errors and dead letters (per dataset),
        chunk ledger rows no topic can replay, expired idempotency keys. In small batches."""
        from sqlalchemy.exc import SQLAlchemyError

        from database.engine import make_engine
        from ops.gc import run_gc

        settings = get_settings()
        stop = threading.Event()
        if every > 0:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        engine = make_engine(settings.db_url)  # one for every run of this process
        try:
            while True:
                try:
                    report = run_gc(settings, dry_run=dry_run, engine=engine)
                except (BulkflowError, SQLAlchemyError) as exc:
                    if every <= 0:
                        raise fail(str(exc).splitlines()[0]) from exc
                    console.print(f"[yellow]gc:[/] {str(exc).splitlines()[0]}")
                else:
                    for line in report.lines():
                        console.print(line, markup=False, highlight=False)
                if every <= 0 or stop.wait(every):
                    return
        finally:
            engine.dispose()
