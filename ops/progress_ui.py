"""Live progress bars and the summary table, for ``bulkflow upload --wait`` and the demo."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from ops.client import ApiClient
from schemas.records import UploadStatus


def rate_text(status: UploadStatus) -> str:
    """The one rows/s figure everywhere (bar, summary, page): rows processed (ok + failed)
    per second from the job's first chunk to its end, or to now while it runs; computed by
    the progress fold and carried on the status."""
    return f"{status.rows_per_second:,.0f}" if status.rows_per_second else "-"


def _describe(status: UploadStatus) -> str:
    rate = f"{rate_text(status)} rows/s" if status.rows_per_second else ""
    return f"{status.state:<22} {status.rows_ok + status.rows_failed:>9,} rows {rate}"


def follow_jobs(
    client: ApiClient, jobs: Mapping[str, str], console: Console, timeout_s: float = 900.0
) -> dict[str, UploadStatus]:
    """One bar per job, fed by its server-sent events; returns the final statuses."""
    finals: dict[str, UploadStatus] = {}
    lock = threading.Lock()
    columns = (
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, TaskID] = {
            job: progress.add_task(name[:28], total=100, info="queued")
            for job, name in jobs.items()
        }

        def follow(job: str) -> None:
            try:
                for status in client.events(job, timeout_s):
                    progress.update(tasks[job], completed=status.percent, info=_describe(status))
                    # a job paused for its column mapping waits for a person: stop here
                    if status.is_final or status.state == "needs_mapping":
                        with lock:
                            finals[job] = status
                        return
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
    """One row per job. "seconds" is the wall time from upload to end (queueing included);
    "rows/s" is the status's own figure (see :func:`rate_text`)."""
    table = Table(title="bulkflow summary")
    for column in ("file", "tier", "state", "rows ok", "rows failed", "seconds", "rows/s"):
        table.add_column(column, justify="right" if column.startswith(("rows", "sec")) else "left")
    for job, s in finals.items():
        seconds = (s.finished_at - s.submitted_at).total_seconds() if s.finished_at else None
        table.add_row(
            (names or {}).get(job, s.filename),
            s.tier,
            s.state,
            f"{s.rows_ok:,}",
            f"{s.rows_failed:,}",
            f"{seconds:.1f}" if seconds is not None else "-",
            rate_text(s),
        )
    return table


def first_error_lines(client: ApiClient, job_id: str, limit: int = 5) -> list[str]:
    """The first few lines of the job's error CSV (header included), for the terminal."""
    lines: list[str] = []
    buffered = b""
    for block in client.errors_csv(job_id):
        buffered += block
        while b"\n" in buffered and len(lines) <= limit:
            line, buffered = buffered.split(b"\n", 1)
            lines.append(line.decode("utf-8", "replace").rstrip("\r"))
        if len(lines) > limit:
            break
    return lines


def mapping_lines(status: UploadStatus) -> list[str]:
    """A paused job's file columns and suggestions, and the command that goes on."""
    preview = status.mapping_preview
    if preview is None:
        return [f"job {status.job_id} needs its columns mapped"]
    where = f"row {preview.header_row}" + (f" of sheet {preview.sheet!r}" if preview.sheet else "")
    lines = [
        f"job {status.job_id} is paused: its header does not name the dataset's columns",
        f"  {preview.reason}",
        f"  the file's columns ({where}): {', '.join(preview.file_columns)}",
    ]
    pairs = [f'--map "{header}={column}"' for column, header in preview.suggestions.items()]
    if pairs:
        lines.append("  suggested: " + " ".join(pairs))
    unsuggested = [c for c in preview.required if c not in preview.suggestions]
    if unsuggested:
        lines.append(
            f"  required, no column suggested: {', '.join(unsuggested)}: "
            "name the file's column for each"
        )
        pairs += [f'--map "FILE COLUMN={column}"' for column in unsuggested]
    lines.append(
        f"go on with: bulkflow map {status.job_id} {' '.join(pairs) or '--map ...'} --wait"
    )
    return lines


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def outcome_lines(client: ApiClient, status: UploadStatus) -> list[str]:
    """What a person needs after --wait: the failure reason, the row ranges that were not
    saved (dead letters) and where the row errors are; a paused job's mapping to confirm."""
    if status.state == "needs_mapping":
        return mapping_lines(status)
    left_out = []
    if status.unknown_columns and status.state != "failed":
        left_out = [
            "the file's columns no dataset column reads, left out: "
            + ", ".join(status.unknown_columns)
        ]
    if status.warning and status.state == "completed":
        return [f"job {status.job_id} completed with a warning: {status.warning}", *left_out]
    dead = [f"  {d.describe()}" for d in status.dead_letters]
    if status.state == "failed":
        return [f"job {status.job_id} failed: {status.error or 'no reason recorded'}", *dead]
    if status.state != "completed_with_errors":
        return left_out
    invalid = status.rows_failed - status.rows_dead_lettered
    lines = [
        f"job {status.job_id} completed with errors: {_rows(status.rows_ok)} saved, "
        f"{_rows(status.rows_failed)} not saved"
        + (f" ({status.rows_dead_lettered:,} of them dead-lettered)" if dead else "")
        + "."
    ]
    lines += dead
    if status.warning:
        lines.append(f"warning: {status.warning}")
    if invalid:
        lines.append(f"{_rows(invalid)} rejected; the first {'one' if invalid == 1 else 'ones'}:")
        csv_lines = first_error_lines(client, status.job_id, limit=5 + len(dead))
        lines += ["  " + line for line in [csv_lines[0], *csv_lines[1 + len(dead) :]]]
    lines.append(f"all of them: bulkflow errors {status.job_id} -o errors.csv")
    return lines + left_out
