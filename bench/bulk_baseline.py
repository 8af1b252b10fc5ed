"""The baseline of ``bulkflow bench``: the system the seed describes. N worker processes (4)
take whole files from one FIFO queue; each file is ``pandas.read_excel`` (openpyxl,
pandas' default engine) or ``pandas.read_csv``, then ``DataFrame.to_sql(if_exists="append")``.
No validation (bench/bulk_systems.py has the table and why its columns are TEXT).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import time
from collections.abc import Callable
from typing import Any

from bench.bulk_systems import BASELINE_TABLE, FileResult, create_table
from bench.bulk_workload import FileSpec


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
