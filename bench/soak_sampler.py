"""What ``python -m bench soak`` watches, every ``interval_s``: RSS and open descriptors per
process, the database's connections, size and bookkeeping rows, the spool's bytes and the
topics' bytes on the broker's disk; then the slope of each over the measured window."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def folder_bytes(folder: Path, prefix: str = "") -> int:
    """Bytes of the files under ``folder`` (only its subfolders starting with ``prefix``)."""
    total = 0
    try:
        tops = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except FileNotFoundError:
        return 0
    for top in tops:
        if top.is_file(follow_symlinks=False):
            total += top.stat().st_size
            continue
        for root, _dirs, files in os.walk(top.path):
            for name in files:
                try:
                    total += os.stat(os.path.join(root, name)).st_size
                except FileNotFoundError:
                    continue
    return total


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope (value per second) of (t, value) points."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var


class SoakSampler:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.processes: dict[str, Callable[[], list[int]]] = {}
        self.gauges: dict[str, Callable[[], float]] = {}
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def process(self, name: str, pids: Callable[[], list[int]]) -> None:
        self.processes[name] = pids

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        self.gauges[name] = read

    def start(self) -> None:
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> dict[str, float]:
        import psutil

        now = time.monotonic() - self.t0
        taken: dict[str, float] = {}
        for name, resolve in self.processes.items():
            rss = fds = 0.0
            for pid in resolve():
                try:
                    proc = psutil.Process(pid)
                    rss += proc.memory_info().rss / 2**20
                    fds += proc.num_fds()
                except psutil.Error:
                    continue
            taken[f"rss_mb.{name}"] = rss
            taken[f"fds.{name}"] = fds
        for name, read in self.gauges.items():
            try:
                taken[name] = float(read())
            except Exception:
                continue
        for key, value in taken.items():
            self.series.setdefault(key, []).append((now, value))
        return taken

    def window(self, since_s: float) -> dict[str, dict[str, float]]:
        """Per series over the points at or after ``since_s``: first, last, min, max, the
        slope per minute and the growth it makes over the window."""
        out: dict[str, dict[str, float]] = {}
        for key, points in self.series.items():
            kept = [(t, v) for t, v in points if t >= since_s]
            if len(kept) < 2:
                continue
            per_s = slope(kept)
            span = kept[-1][0] - kept[0][0]
            out[key] = {
                "first": round(kept[0][1], 2),
                "last": round(kept[-1][1], 2),
                "min": round(min(v for _, v in kept), 2),
                "max": round(max(v for _, v in kept), 2),
                "slope_per_min": round(per_s * 60, 4),
                "growth_over_window": round(per_s * span, 2),
            }
        return out

    def compact(self) -> dict[str, list[list[float]]]:
        return {k: [[round(t, 1), round(v, 2)] for t, v in pts] for k, pts in self.series.items()}


def pg_gauges(url: str) -> tuple[dict[str, Callable[[], float]], Any]:
    """The database's connections (from bulkflow's clients), its size and bookkeeping rows,
    and the engine they read through (the caller disposes of it)."""
    import sqlalchemy as sa

    from database.engine import make_engine

    engine = make_engine(url, pool_size=1, max_overflow=0)

    def scalar(sql: str) -> float:
        with engine.connect() as conn:
            return float(conn.execute(sa.text(sql)).scalar_one())

    gauges: dict[str, Callable[[], float]] = {
        # this sampler's own connection left out
        "db_connections": lambda: scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ),
        "db_mb": lambda: scalar("SELECT pg_database_size(current_database())") / 2**20,
    }
    for table in (
        "bulkflow_row_errors",
        "bulkflow_chunk_ledger",
        "bulkflow_idempotency",
        "bulkflow_job_status",
        "bulkflow_dead_letters",
        "ds_orders",
    ):
        gauges[f"rows.{table}"] = lambda t=table: scalar(f"SELECT count(*) FROM {t}")  # type: ignore[misc]
    return gauges, engine
