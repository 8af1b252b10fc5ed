"""One real worker process draining a published job: the job published first, then one
``bulkflow worker``, the chunk ledger polled until it holds every chunk.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.worker_raw_writes import TENANT

POLL_S = 0.25


def publish(settings: Any, csv_path: Path) -> tuple[str, Any, float]:
    from files.upload_record import make_upload_record, new_job_id, spool_copy
    from messaging.publisher import Publisher
    from producer.publish_job import publish_job
    from schemas.dataset import DatasetRegistry

    job_id = new_job_id()
    spooled = spool_copy(settings, csv_path, job_id)
    upload = make_upload_record(
        settings, spooled, job_id=job_id, tenant=TENANT, dataset="orders", filename=csv_path.name
    )
    began = time.perf_counter()
    with Publisher(settings) as publisher:
        outcome = publish_job(upload, settings, publisher, DatasetRegistry(settings.datasets_dir))
    seconds = time.perf_counter() - began
    if not outcome.sealed:
        raise RuntimeError(f"publish_job did not seal the job: {outcome.reason}")
    return job_id, outcome, seconds


def postgres_cpu(data_dir: Path | None) -> Callable[[], float]:
    """Seconds of CPU so far of the local PostgreSQL under ``data_dir`` (postmaster and every
    live backend; a backend that ended takes its seconds with it). No server: always 0."""
    import psutil

    if data_dir is None:
        return lambda: 0.0
    postmaster = psutil.Process(int((data_dir / "postmaster.pid").read_text().split()[0]))

    def total() -> float:
        seconds = 0.0
        for proc in [postmaster, *postmaster.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue  # a backend that just ended
            seconds += times.user + times.system
        return seconds

    return total


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        found = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def _ledger_span(engine: Any, job_id: str) -> tuple[dt.datetime, dt.datetime, int, int]:
    """(first processed_at, last processed_at, rows in the first chunk(s) at that instant,
    rows_ok + rows_failed of all)."""
    import sqlalchemy as sa

    from database.tables import ledger

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ledger.c.processed_at, ledger.c.rows_ok + ledger.c.rows_failed)
            .where(ledger.c.job_id == job_id)
            .order_by(ledger.c.processed_at)
        ).all()
    first, last = rows[0][0], rows[-1][0]
    first_rows = sum(n for at, n in rows if at == first)
    return first, last, first_rows, sum(n for _, n in rows)


def run_worker(
    settings: Any,
    log_dir: Path,
    job_id: str,
    total_chunks: int,
    timeout_s: float,
    server_cpu: Callable[[], float] = lambda: 0.0,
) -> dict[str, Any]:
    """``server_cpu``: the database server's CPU seconds so far (postgres_cpu)."""
    import psutil

    from database.engine import make_engine
    from database.migrations import ensure_schema
    from database.reports import ledger_counts
    from ops.supervisor import Supervisor

    engine = make_engine(settings.db_url)
    ensure_schema(engine)  # the ledger table, so polling works before the worker makes it
    supervisor = Supervisor(settings, log_dir, restart=False)
    supervisor.add("worker", "worker", "--loglevel", "warning")
    cpu_s = 0.0
    cpu_at_first: float | None = None  # start-up (imports, faust boot, rebalance) ends here
    server_at_start = server_cpu()
    server_at_first = server_at_start
    rows_at_first = 0
    peak_polled = 0
    hwm: float | None = None
    try:
        started_utc = dt.datetime.now(dt.UTC)
        started = time.monotonic()
        supervisor.start()
        proc = supervisor.children["worker"].proc
        assert proc is not None
        watched = psutil.Process(proc.pid)
        deadline = started + timeout_s
        chunks = ok = failed = 0
        while True:
            try:
                procs = [watched, *watched.children(recursive=True)]
                times = [p.cpu_times() for p in procs]
                cpu_s = sum(t.user + t.system for t in times)
                peak_polled = max(peak_polled, sum(p.memory_info().rss for p in procs))
                hwm = _vm_hwm_mb(proc.pid) or hwm
            except psutil.Error:
                pass
            chunks, ok, failed = ledger_counts(engine, job_id)
            if chunks and cpu_at_first is None:
                cpu_at_first = cpu_s
                server_at_first = server_cpu()
                rows_at_first = ok + failed
            if chunks >= total_chunks:
                break
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the worker exited ({proc.returncode}) with {chunks} of "
                    f"{total_chunks} chunks done:\n{supervisor.log_tail('worker')}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"timed out after {timeout_s:.0f}s with {chunks} of "
                    f"{total_chunks} chunks done:\n{supervisor.log_tail('worker')}"
                )
            time.sleep(POLL_S)
        done_wall = time.monotonic() - started
        server_s = server_cpu()
    finally:
        supervisor.stop(timeout_s=20)
        engine_url = settings.db_url
    first, last, first_rows, rows_all = _ledger_span(engine, job_id)
    engine.dispose()
    # after the poll first saw saved chunks: CPU per row while draining, start-up left out
    drained = max(rows_all - rows_at_first, 1)
    span = (last - first).total_seconds()
    to_last = (last - started_utc).total_seconds()
    steady = (rows_all - first_rows) / span if span > 0 else float("nan")
    return {
        "database_url": engine_url.split("@")[-1],
        "chunks": chunks,
        "rows_ok": ok,
        "rows_failed": failed,
        "rows": ok + failed,
        "ledger_first": first.isoformat(),
        "ledger_last": last.isoformat(),
        "ledger_span_s": round(span, 3),
        # rows after the first ledger entry over first..last: a steady-state rate
        "rows_per_s": round(steady),
        "valid_rows_per_s": round(steady * ok / (ok + failed)),
        "wall_from_start_s": round(to_last, 3),
        "poll_done_s": round(done_wall, 3),
        "rows_per_s_from_start": round((ok + failed) / to_last),
        "worker_cpu_s": round(cpu_s, 2),
        "worker_cpu_at_first_chunk_s": round(cpu_at_first or 0.0, 2),
        "worker_cpu_us_per_row_after_first": round(
            (cpu_s - (cpu_at_first or 0.0)) / drained * 1e6, 2
        ),
        "server_cpu_s": round(server_s - server_at_start, 2),
        "server_cpu_us_per_row_after_first": round((server_s - server_at_first) / drained * 1e6, 2),
        "worker_peak_rss_mb": round(hwm, 1) if hwm else None,
        "worker_polled_max_rss_mb": round(peak_polled / 2**20, 1),
    }


def topic_bytes(base: Any, topic: str) -> int:
    """The size of a topic's log segments in the local broker's data dir."""
    from ops.devservers.broker import LocalBroker

    data = LocalBroker(base).data_dir
    return sum(f.stat().st_size for f in data.glob(f"{topic}-*/*.log"))


def datasets_with_encoding(tmp: Path, encoding: str) -> Path:
    """A datasets dir whose orders publish results in ``encoding``."""
    from schemas.settings import packaged_datasets_dir

    if encoding == "arrow":  # the default: the repo's own datasets
        return packaged_datasets_dir()
    folder = tmp / "datasets"
    folder.mkdir(exist_ok=True)
    text = (packaged_datasets_dir() / "orders.yaml").read_text()
    (folder / "orders.yaml").write_text(f"{text}results: {{encoding: {encoding}}}\n")
    return folder
