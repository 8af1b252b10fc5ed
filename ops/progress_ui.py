"""Live progress bars and the summary table, for ``bulkflow upload --wait`` and the demo."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from ops.client import ApiClient
from schemas.records import UploadStatus


def _describe(status: UploadStatus) -> str:
    rate = f"{status.rows_per_second:,.0f} rows/s" if status.rows_per_second else ""
    return f"{status.state:<22} {status.rows_ok + status.rows_failed:>9,} rows {rate}"


def follow_jobs(
    client: ApiClient, jobs: Mapping[str, str], console: Console, timeout_s: float = 900.0
) -> dict[str, UploadStatus]:
    """One bar per job, fed by its server-sent events; returns the final statuses."""
    finals: dict[str, UploadStatus] = {}
    lock = threading.Lock()
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, TaskID] = {
            job: progress.add_task(name[:28], total=100, info="queued")
            for job, name in jobs.items()
        }

        def follow(job: str) -> None:
            try:
                for status in client.events(job, timeout_s):
                    progress.update(tasks[job], completed=status.percent, info=_describe(status))
                    if status.is_final:
                        with lock:
                            finals[job] = status
            except Exception as exc:  # one broken stream must not stop the others
                progress.update(tasks[job], info=f"lost the event stream: {exc}")

        threads = [threading.Thread(target=follow, args=(j,), daemon=True) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout_s)
    for job in jobs:
        if job not in finals:
            finals[job] = client.status(job)
    return finals


def summary_table(
    finals: Mapping[str, UploadStatus], names: Mapping[str, str] | None = None
) -> Table:
    table = Table(title="bulkflow summary")
    for column in ("file", "tier", "state", "rows ok", "rows failed", "seconds", "rows/s"):
        table.add_column(column, justify="right" if column.startswith(("rows", "sec")) else "left")
    for job, s in finals.items():
        seconds = (s.finished_at - s.submitted_at).total_seconds() if s.finished_at else None
        rows = s.rows_ok + s.rows_failed
        table.add_row(
            (names or {}).get(job, s.filename), s.tier, s.state, f"{s.rows_ok:,}",
            f"{s.rows_failed:,}", f"{seconds:.1f}" if seconds is not None else "-",
            f"{rows / seconds:,.0f}" if seconds else "-",
        )  # fmt: skip
    return table
