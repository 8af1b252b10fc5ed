"""The measuring side of ``python -m bench history``: one API process of a source tree, and
the raw database answering the same lookups."""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.bulk_output import log

POLL_S = 0.05


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(prefix: str, seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        f"{prefix}_p50_ms": round(statistics.median(ms), 2) if ms else float("nan"),
        f"{prefix}_p95_ms": round(_pct(ms, 0.95), 2),
    }


def raw_database(
    url: str, asked: list[tuple[str, str]], pages: list[tuple[str, int]]
) -> dict[str, float]:
    """The same lookups straight on the database, driver-level, nothing parsed."""
    import sqlalchemy as sa

    from database.engine import make_engine

    engine = make_engine(url)
    get = sa.text("SELECT status FROM bulkflow_job_status WHERE job_id = :j")
    page = sa.text(
        "SELECT status FROM bulkflow_job_status WHERE tenant = :t "
        "ORDER BY submitted_at DESC, job_id DESC LIMIT 50 OFFSET :o"
    )
    count = sa.text("SELECT count(*) FROM bulkflow_job_status WHERE tenant = :t")
    gets: list[float] = []
    lists: list[float] = []
    try:
        with engine.connect() as conn:
            # a first pass warms the database's cache, as the API's requests find it
            for job_id, _tenant in asked:
                conn.execute(get, {"j": job_id}).scalar_one()
            for tenant, offset in pages:
                conn.execute(page, {"t": tenant, "o": offset}).all()
            for job_id, _tenant in asked:
                started = time.perf_counter()
                conn.execute(get, {"j": job_id}).scalar_one()
                gets.append(time.perf_counter() - started)
            for tenant, offset in pages:
                started = time.perf_counter()
                conn.execute(page, {"t": tenant, "o": offset}).all()
                conn.execute(count, {"t": tenant}).scalar_one()
                lists.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return {**_summary("get", gets), **_summary("list", lists)}


def measure_api(
    label: str,
    tree: Path,
    settings: Any,
    asked: list[tuple[str, str]],
    pages: list[tuple[str, int]],
    rss_limit_mb: float,
    ready_timeout_s: float,
) -> dict[str, Any]:
    import httpx
    import psutil

    from ops.devservers.broker import free_port
    from ops.supervisor import settings_env

    port = free_port()
    env = settings_env(settings)
    env["PYTHONPATH"] = str(tree)
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    log(f"{label}: starting an API process from {tree}")
    settings.home.mkdir(parents=True, exist_ok=True)
    log_file = (settings.home / f"api-{label}.log").open("w")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    out: dict[str, Any] = {"tree": str(tree)}
    try:
        ps = psutil.Process(proc.pid)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        peak = 0.0
        while True:
            rss = ps.memory_info().rss / 2**20
            peak = max(peak, rss)
            if proc.poll() is not None:
                out["stopped"] = f"the API exited with {proc.returncode} before it was ready"
                return out
            if rss > rss_limit_mb:
                out["stopped"] = (
                    f"stopped at {rss:.0f} MB RSS (over {rss_limit_mb:.0f}) before ready"
                )
                out["stopped_after_s"] = round(time.monotonic() - started, 1)
                return out
            if time.monotonic() - started > ready_timeout_s:
                out["stopped"] = f"not ready after {ready_timeout_s:.0f}s ({rss:.0f} MB RSS)"
                return out
            with contextlib.suppress(httpx.HTTPError):
                if http.get("/readyz").status_code == 200:
                    break
            time.sleep(POLL_S)
        out["ready_s"] = round(time.monotonic() - started, 2)
        cpu = ps.cpu_times()
        out["cpu_ready_s"] = round(cpu.user + cpu.system, 2)
        out["rss_ready_mb"] = round(ps.memory_info().rss / 2**20, 1)
        out["rss_peak_to_ready_mb"] = round(peak, 1)
        log(f"{label}: ready in {out['ready_s']}s, {out['rss_ready_mb']} MB RSS")

        def timed(paths: list[tuple[str, str]]) -> tuple[list[float], float, int]:
            cpu0 = sum(ps.cpu_times()[:2])
            spent, errors = [], 0
            for path, tenant in paths:
                key = f"key{tenant.removeprefix('tenant')}"
                t0 = time.perf_counter()
                answer = http.get(path, headers={"Authorization": f"Bearer {key}"})
                spent.append(time.perf_counter() - t0)
                errors += answer.status_code != 200
            cpu_ms = (sum(ps.cpu_times()[:2]) - cpu0) * 1000 / max(1, len(paths))
            return spent, cpu_ms, errors

        gets, out["get_cpu_ms"], out["get_errors"] = timed(
            [(f"/v1/uploads/{job}", tenant) for job, tenant in asked]
        )
        lists, out["list_cpu_ms"], out["list_errors"] = timed(
            [(f"/v1/uploads?limit=50&offset={o}", t) for t, o in pages]
        )
        out.update(_summary("get", gets))
        out.update(_summary("list", lists))
        out["get_cpu_ms"] = round(out["get_cpu_ms"], 2)
        out["list_cpu_ms"] = round(out["list_cpu_ms"], 2)
        out["rss_end_mb"] = round(ps.memory_info().rss / 2**20, 1)
        log(f"{label}: {out}")
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log_file.close()
