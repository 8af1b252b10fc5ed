"""The two comparison systems of ``bulkflow bench``, run on the same files and database server.

* Baseline: the system the seed describes. N worker processes (4) take whole files from one
  FIFO queue; each file is ``pandas.read_excel`` (openpyxl, pandas' default engine) or
  ``pandas.read_csv``, then ``DataFrame.to_sql(if_exists="append")``. No validation. Its
  table has TEXT columns, so the 1% of invalid rows never fails a file (a typed table would
  reject whole files); that only makes the baseline cheaper, never slower.
* Raw ceiling: one process per core, the fastest parser (fastexcel for XLSX, pyarrow CSV
  for CSV) and ``COPY`` (CSV written by Arrow) into a bare TEXT table, one transaction per
  file, no Kafka, no validation: what this hardware allows.

Both report per-file (submitted, started, finished, rows) on the bench process's wall clock.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bulk_workload import FileSpec
from ops.devservers.sample_data import HEADER

BASELINE_TABLE = "orders"
RAW_TABLE = "raw_orders"
COLUMNS = tuple(HEADER)


def _ddl(table: str) -> str:
    cols = ", ".join(f'"{c}" TEXT' for c in COLUMNS)
    return f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})'


def _libpq(url: str) -> str:
    from ops.devservers.postgres import libpq_url

    return libpq_url(url)


def create_table(url: str, table: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(_ddl(table))


def count_rows(url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(row[0]) if row else 0


@dataclass
class FileResult:
    name: str
    kind: str
    rows: int
    submitted: float
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    extrapolated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --- baseline -----------------------------------------------------------------------------


def _baseline_worker(url: str, jobs: Any, results: Any) -> None:
    """One seed-system worker: whole files from the FIFO queue, read_excel/read_csv + to_sql."""
    import warnings

    import pandas as pd
    import sqlalchemy as sa

    warnings.simplefilter("ignore")
    engine = sa.create_engine(url)
    while True:
        item = jobs.get()
        if item is None:
            break
        index, path = item
        started = time.time()
        results.put((index, started, None, 0, None))  # started: for the extrapolation
        try:
            if path.endswith(".xlsx"):
                frame = pd.read_excel(path, engine="openpyxl")
            else:
                frame = pd.read_csv(path)
            frame.to_sql(BASELINE_TABLE, engine, if_exists="append", index=False)
            results.put((index, started, time.time(), len(frame), None))
        except Exception as exc:  # report, keep serving the queue like the seed would
            results.put((index, started, time.time(), 0, f"{type(exc).__name__}: {exc}"[:300]))
    engine.dispose()


def run_baseline(
    url: str,
    big: list[FileSpec],
    small: list[FileSpec],
    *,
    workers: int,
    small_at_s: float,
    cap_s: float,
    on_start: Callable[[list[int]], None],
    echo: Callable[[str], None],
    on_done: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Enqueue the big files at t0, the small ones ``small_at_s`` later (FIFO, behind them);
    stop after ``cap_s`` and extrapolate what is left from the measured per-file times."""
    create_table(url, BASELINE_TABLE)
    ctx = mp.get_context("spawn")
    jobs: Any = ctx.Queue()
    results: Any = ctx.Queue()
    procs = [
        ctx.Process(
            target=_baseline_worker,
            args=(url, jobs, results),
            daemon=True,
            name=f"baseline-{i + 1}",
        )
        for i in range(workers)
    ]
    specs = big + small
    files = [FileResult(s.name, s.kind, s.rows, 0.0) for s in specs]
    for p in procs:
        p.start()
    on_start([p.pid for p in procs if p.pid])
    time.sleep(1.0)  # let the interpreters start: the seed's workers are long-lived
    t0 = time.time()
    for i, spec in enumerate(big):
        files[i].submitted = time.time()
        jobs.put((i, str(spec.path)))
    small_sent = False
    done = 0
    deadline = t0 + cap_s
    capped = False
    try:
        while done < len(specs):
            now = time.time()
            if not small_sent and now >= t0 + small_at_s:
                for j, spec in enumerate(small, start=len(big)):
                    files[j].submitted = time.time()
                    jobs.put((j, str(spec.path)))
                small_sent = True
            if now >= deadline:
                capped = True
                break
            try:
                index, started, finished, rows, error = results.get(timeout=0.2)
            except queue.Empty:
                continue
            f = files[index]
            f.started = started
            if finished is None:
                continue
            f.finished, f.error = finished, error
            f.rows = rows or f.rows
            done += 1
            if done % max(1, len(specs) // 10) == 0:
                echo(f"    baseline: {done}/{len(specs)} files in {time.time() - t0:.0f} s")
    finally:
        stop_at = time.time()
        on_done()  # the processes' last CPU sample: after this they are gone
        for _ in procs:
            with contextlib.suppress(Exception):
                jobs.put(None)
        if capped:
            for p in procs:
                p.terminate()
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join(5)
        # results that arrived after the loop ended
        with contextlib.suppress(Exception):
            while True:
                index, started, finished, rows, error = results.get_nowait()
                if finished is not None and files[index].finished is None:
                    files[index].started, files[index].finished = started, finished
                    files[index].error = error
    for f in files[len(big) :]:
        f.submitted = f.submitted or t0 + small_at_s  # never sent: the cap came first
    measured = [f for f in files if f.finished is not None]
    rows_done = sum(f.rows for f in measured if not f.error)
    ends = [f.finished for f in measured if f.finished is not None]
    elapsed = (stop_at if capped else max(ends)) - t0 if ends else 0.0
    extrapolated = _extrapolate(files, workers, t0, stop_at) if capped else 0
    return {
        "t0": t0,
        "workers": workers,
        "capped": capped,
        "cap_s": cap_s,
        "stopped_after_s": round(stop_at - t0, 2),
        "files_measured": len(measured),
        "files_extrapolated": extrapolated,
        "rows_measured": rows_done,
        "measured_rows_per_s": round(rows_done / elapsed) if elapsed > 0 else None,
        "small_at_s": small_at_s,
        "errors": sorted({f.error for f in files if f.error})[:5],
        "files": [f.as_dict() for f in files],
    }


def _extrapolate(files: list[FileResult], workers: int, t0: float, stop_at: float) -> int:
    """Simulate the FIFO queue past the cap: each worker slot frees when its measured file
    would end; unmeasured files take the mean measured time of their kind (small files
    without a measurement: the big mean scaled by rows). Marks them ``extrapolated``."""
    done = [f for f in files if f.finished is not None and f.started is not None]
    if not done:
        return 0
    means: dict[str, float] = {}
    for kind in ("big", "small"):
        spans = [f.finished - f.started for f in done if f.kind == kind]  # type: ignore[operator]
        if spans:
            means[kind] = sum(spans) / len(spans)
    big_rows = max((f.rows for f in files if f.kind == "big"), default=1)
    if "small" not in means and "big" in means:
        small_rows = max((f.rows for f in files if f.kind == "small"), default=0)
        means["small"] = means["big"] * small_rows / big_rows
    if "big" not in means:
        means["big"] = means["small"] * big_rows / max(1, files[-1].rows)
    # a file running at the cap ends at its start + the mean; its worker is busy until then
    slots = [stop_at] * workers
    count = 0
    running = [f for f in files if f.finished is None and f.started is not None]
    for i, f in enumerate(running[:workers]):
        f.finished = max(f.started + means[f.kind], stop_at)  # type: ignore[operator]
        f.extrapolated = True
        slots[i] = f.finished
        count += 1
    for f in sorted((f for f in files if f.finished is None), key=lambda f: f.submitted):
        slot = min(range(workers), key=lambda i: slots[i])
        start = max(slots[slot], f.submitted)
        f.started, f.finished = start, start + means[f.kind]
        f.extrapolated = True
        slots[slot] = f.finished
        count += 1
    return count


# --- raw ceiling --------------------------------------------------------------------------

_raw_conn: Any = None


def _raw_init(url: str) -> None:
    import psycopg

    global _raw_conn
    _raw_conn = psycopg.connect(url)


def _raw_file(item: tuple[int, str]) -> tuple[int, float, float, int, str | None]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    index, path = item
    started = time.time()
    try:
        if path.endswith(".xlsx"):
            import fastexcel

            table = fastexcel.read_excel(path).load_sheet(0).to_arrow()
        else:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(use_threads=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(COLUMNS, pa.string())
                ),
            )
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False))
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        with (
            _raw_conn.cursor() as cur,
            cur.copy(f'COPY "{RAW_TABLE}" ({cols}) FROM STDIN (FORMAT csv)') as copy,
        ):
            copy.write(memoryview(sink.getvalue()))
        _raw_conn.commit()
        return index, started, time.time(), table.num_rows, None
    except Exception as exc:
        with contextlib.suppress(Exception):
            _raw_conn.rollback()
        return index, started, time.time(), 0, f"{type(exc).__name__}: {exc}"[:300]


def run_raw(
    url: str,
    specs: list[FileSpec],
    *,
    processes: int,
    timeout_s: float,
    on_start: Callable[[list[int]], None],
    echo: Callable[[str], None],
    on_done: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    create_table(url, RAW_TABLE)
    ctx = mp.get_context("spawn")
    files = [FileResult(s.name, s.kind, s.rows, 0.0) for s in specs]
    pool = ctx.Pool(processes, initializer=_raw_init, initargs=(_libpq(url),))
    try:
        # warm the pool (imports, connections) before the clock starts
        pool.map(time.sleep, [0.5] * processes)
        on_start([p.pid for p in pool._pool if p.pid])  # type: ignore[attr-defined]
        import fastexcel  # noqa: F401  (imported in the children; here for a clear error)

        t0 = time.time()
        for f in files:
            f.submitted = t0
        pending = pool.imap_unordered(_raw_file, [(i, str(s.path)) for i, s in enumerate(specs)])
        deadline = t0 + timeout_s
        for n in range(len(specs)):
            index, started, finished, rows, error = pending.next(max(deadline - time.time(), 1))
            files[index].started, files[index].finished = started, finished
            files[index].rows, files[index].error = rows or files[index].rows, error
            if (n + 1) % max(1, len(specs) // 5) == 0:
                echo(f"    raw ceiling: {n + 1}/{len(specs)} files in {time.time() - t0:.0f} s")
    finally:
        on_done()  # the processes' last CPU sample: after this they are gone
        pool.terminate()
        pool.join()
    done = [f for f in files if f.finished is not None]
    rows = sum(f.rows for f in done if not f.error)
    ends = [f.finished for f in done if f.finished is not None]
    span = max(ends) - t0 if ends else 0.0
    return {
        "t0": t0,
        "processes": processes,
        "rows": rows,
        "makespan_s": round(span, 2),
        "rows_per_s": round(rows / span) if span else None,
        "errors": sorted({f.error for f in files if f.error})[:5],
        "files": [f.as_dict() for f in files],
    }


def spec_paths(specs: list[FileSpec]) -> list[Path]:
    return [s.path for s in specs]
