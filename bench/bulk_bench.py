"""``python -m bench bulk``: bulkflow end to end, the seed's baseline and the raw ceiling.

Run from the repo root: ``.venv/bin/python -m bench bulk [--quick]`` (``make bench``,
``make bench-quick``), e.g. ``--users 500 --rows 10000 --format xlsx``.

1. Workload (bench/bulk_workload.py): N ``orders`` files (~1% invalid rows) plus 50 small
   files of 200 rows, cached under ``bench/.work/bulk/``.
2. One PostgreSQL server (Debian's binaries, installed by deploy/ensure-postgres.sh when
   missing), a fresh database per system. A local Kafka broker on free ports in a temp home
   (or ``BULKFLOW_KAFKA_BOOTSTRAP``).
3. bulkflow: the pipeline of ``bulkflow serve`` (api, producer, worker(s), aggregator) as
   supervised processes; a warm-up upload; then every big file is uploaded at once through
   the HTTP API, and the small files the moment the last big one is accepted (the backlog's
   peak). Per upload: client submit -> the server's ``finished_at``. Rows per second over
   time from the chunk ledger. CPU and peak RSS of every process, sampled every 0.5 s.
   Repeated with 1 and 2 worker processes (scale-out).
4. Baseline and raw ceiling (bench/bulk_systems.py), same files, same server.
5. bench/results/bulk_bench[-quick].json, .md and PNG plots, replacing the previous run's
   (bench/bulk_report.py); ratios last.

Every wait has a timeout and everything started is stopped in ``finally``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import bulk_report, bulk_systems
from bench.bulk_workload import FileSpec, ensure_files, plan

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results"
API_KEY = "bench-key"
TENANT = "bench"
UPLOAD_THREADS = 16
POLL_S = 2.0  # completion times come from the statuses, not from the poll
SAMPLE_S = 1.0
BASELINE_WORKERS = 4
MACHINE = "machine (all processes)"
# the pipeline counts as idle below this CPU % of one core, held this long (the broker and
# the faust apps tick at a few % when nothing happens); give up waiting after the timeout
IDLE_BELOW_PCT = 15.0
IDLE_QUIET_S = 2.0
IDLE_TIMEOUT_S = 60.0
Echo = Callable[[str], None]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- process sampling ---------------------------------------------------------------------


class ProcSampler:
    """CPU seconds, CPU% over time and peak RSS of named groups of processes (psutil, 0.5 s).

    A group is a function giving its pids now (a supervised child and its descendants, the
    broker, the PostgreSQL server and its backends ...). CPU of a pid is counted from its
    first sample (or from 0 when it was born after the sampler started)."""

    def __init__(self, interval_s: float = SAMPLE_S) -> None:
        self.interval_s = interval_s
        self.groups: dict[str, Callable[[], list[int]]] = {}
        self.series: dict[str, list[tuple[float, float, float]]] = {}
        self._first: dict[tuple[str, int], float] = {}
        self._last: dict[tuple[str, int], float] = {}
        self._procs: dict[int, Any] = {}
        self._peak_rss: dict[str, float] = {}
        self._peak_one: dict[str, float] = {}
        self._prev_cpu: dict[str, float] = {}
        self._wait_prev: dict[tuple[str, int], float] = {}
        self._waited: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # sample() runs on the sampler thread and, for a final sample, on the caller's
        self._lock = threading.Lock()
        self.started = 0.0
        self.stopped = 0.0

    def add(self, name: str, pids: Callable[[], list[int]]) -> None:
        self.groups[name] = pids

    @staticmethod
    def _machine_busy() -> float:
        import psutil

        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    def start(self) -> None:
        self.started = time.time()
        self._machine0 = self._machine_busy()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sample()  # the CPU since the last tick (up to half the run of a short process)
        self.stopped = time.time()
        return self.summary()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def _proc(self, pid: int) -> Any:
        import psutil

        proc = self._procs.get(pid)
        if proc is None:
            proc = self._procs[pid] = psutil.Process(pid)
        return proc

    def sample(self) -> None:
        """One sample of every group. Call it also just before processes end: the CPU they
        used since the last tick is lost once they are gone."""
        if not self.started:
            return
        with self._lock:
            self._sample()

    def _sample(self) -> None:
        import psutil

        now = time.time()
        for name, resolve in list(self.groups.items()):
            try:
                pids = resolve()
            except Exception:
                pids = []
            rss = 0.0
            for pid in pids:
                try:
                    proc = self._proc(pid)
                    with proc.oneshot():
                        times = proc.cpu_times()
                        mem = proc.memory_info().rss / 2**20
                        born = proc.create_time()
                except (psutil.Error, OSError):
                    self._procs.pop(pid, None)
                    continue
                cpu = times.user + times.system
                key = (name, pid)
                if key not in self._first:
                    self._first[key] = 0.0 if born >= self.started else cpu
                self._last[key] = cpu
                wait = run_queue_wait_s(pid)
                prev_wait = self._wait_prev.get(key)
                if prev_wait is not None and wait > prev_wait:
                    self._waited[name] = self._waited.get(name, 0.0) + wait - prev_wait
                self._wait_prev[key] = wait
                rss += mem
                self._peak_one[name] = max(self._peak_one.get(name, 0.0), mem)
            self._peak_rss[name] = max(self._peak_rss.get(name, 0.0), rss)
            total = self.cpu_s(name)
            series = self.series.setdefault(name, [])
            prev_t = series[-1][0] if series else self.started
            prev_cpu = self._prev_cpu.get(name, 0.0)
            pct = 100.0 * (total - prev_cpu) / max(now - prev_t, 1e-3) if series else 0.0
            self._prev_cpu[name] = total
            series.append((now, pct, rss))
        # the whole machine (every process, ours or not): the box is shared
        busy = self._machine_busy() - self._machine0
        series = self.series.setdefault(MACHINE, [])
        prev_t = series[-1][0] if series else self.started
        prev = self._prev_cpu.get(MACHINE, 0.0)
        series.append(
            (now, 100.0 * (busy - prev) / max(now - prev_t, 1e-3) if series else 0.0, 0.0)
        )
        self._prev_cpu[MACHINE] = busy

    def cpu_s(self, name: str) -> float:
        return sum(last - self._first[key] for key, last in self._last.items() if key[0] == name)

    def summary(self) -> dict[str, Any]:
        span = max((self.stopped or time.time()) - self.started, 1e-3)
        out: dict[str, Any] = {}
        for name in self.groups:
            pcts = sorted(p for _, p, _ in self.series.get(name, [])[1:])
            cpu = self.cpu_s(name)
            out[name] = {
                "cpu_s": round(cpu, 1),
                "avg_cpu_pct": round(100 * cpu / span, 1),
                "p90_cpu_pct": round(pcts[int(0.9 * (len(pcts) - 1))], 1) if pcts else None,
                "peak_rss_mb": round(self._peak_rss.get(name, 0.0), 1),
                "peak_rss_one_process_mb": round(self._peak_one.get(name, 0.0), 1),
                # runnable but not running (all its threads): CPU it wanted and did not get
                "run_queue_wait_s": round(self._waited.get(name, 0.0), 1),
            }
        machine = self._prev_cpu.get(MACHINE, 0.0)
        ours = sum(p["cpu_s"] for p in out.values())
        cores = os.cpu_count() or 1
        return {
            "span_s": round(span, 1),
            "processes": out,
            "machine_cpu_s": round(machine, 1),
            "machine_busy_pct_of_all_cores": round(100 * machine / span / cores, 1),
            "other_processes_cpu_s": round(max(machine - ours, 0.0), 1),
            "this_run_cpu_s": round(ours, 1),
        }

    def compact_series(self, t0: float) -> dict[str, list[list[float]]]:
        return {
            name: [[round(t - t0, 2), round(p, 1), round(r, 1)] for t, p, r in s]
            for name, s in self.series.items()
        }


def wait_until_idle(
    groups: list[Callable[[], list[int]]],
    *,
    busy_pct: float = IDLE_BELOW_PCT,
    quiet_s: float = IDLE_QUIET_S,
    timeout_s: float = IDLE_TIMEOUT_S,
) -> float:
    """Wait until the processes of ``groups`` together use less than ``busy_pct`` of one core
    for ``quiet_s`` (consumer groups joined, rebalances over, start-up done), so the measured
    window holds the work alone; return the seconds waited (``timeout_s`` at most)."""
    import psutil

    def cpu_now() -> float:
        total = 0.0
        for resolve in groups:
            for pid in resolve():
                with contextlib.suppress(psutil.Error, OSError):
                    t = psutil.Process(pid).cpu_times()
                    total += t.user + t.system
        return total

    began = time.monotonic()
    quiet_since = time.monotonic()
    prev, prev_t = cpu_now(), time.monotonic()
    while time.monotonic() - began < timeout_s:
        time.sleep(0.5)
        now_cpu, now_t = cpu_now(), time.monotonic()
        pct = 100.0 * (now_cpu - prev) / max(now_t - prev_t, 1e-3)
        prev, prev_t = now_cpu, now_t
        if pct >= busy_pct:
            quiet_since = now_t
        elif now_t - quiet_since >= quiet_s:
            break
    return round(time.monotonic() - began, 1)


def run_queue_wait_s(pid: int) -> float:
    """Seconds the process's threads spent runnable, waiting for a CPU (/proc schedstat)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def tree(pid: int | None) -> list[int]:
    import psutil

    if pid is None:
        return []
    try:
        return [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:
        return []


def _child_pids(child: Any) -> Callable[[], list[int]]:
    """A supervised child and its descendants (the child may be restarted: read it live)."""
    return lambda: tree(child.proc.pid if child.proc else None)


def _one_pid(pid: int) -> Callable[[], list[int]]:
    return lambda: [pid]


def postgres_pids(server: Any) -> Callable[[], list[int]]:
    def resolve() -> list[int]:
        if server.data_dir is None:
            return []
        try:
            pid = int((Path(server.data_dir) / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return tree(pid)

    return resolve


# --- profiling (optional) ----------------------------------------------------------------


def py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


def start_profiles(pids: dict[str, int], seconds: int, out_dir: Path) -> list[Any]:
    """``py-spy record`` (raw collapsed stacks) on each named process, for ``seconds``."""
    spy = py_spy()
    if spy is None:
        log("--profile: py-spy is not installed (pip install py-spy); no profiles")
        return []
    shutil.rmtree(out_dir, ignore_errors=True)  # only the latest run's profiles
    out_dir.mkdir(parents=True, exist_ok=True)
    started = []
    for name, pid in pids.items():
        out = out_dir / f"{name}.txt"
        proc = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                "50",
                "--format",
                "raw",
                "--nonblocking",
                "--idle",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        started.append((name, proc, out))
    return started


def finish_profiles(started: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, proc, out in started:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if out.exists():
            result[name] = {"file": str(out), **summarise_stacks(out)}
    return result


PROJECT_DIRS = ("producer/", "stream_processors/", "api/", "schemas/", "ops/")


def summarise_stacks(path: Path, top: int = 10) -> dict[str, Any]:
    """Top leaf functions (self time) and top project functions (inclusive) of a py-spy raw
    (collapsed) profile recorded with ``--idle``: % of all samples of all threads, so waits
    (Kafka flush, polls, the database) show up next to CPU work."""
    self_count: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = []
        for frame in stack.split(";"):
            func, _, where = frame.partition(" (")
            file = where.rsplit(":", 1)[0]
            frames.append((f"{func} ({file})", file))
        total += count
        leaf = frames[-1][0]
        self_count[leaf] = self_count.get(leaf, 0) + count
        for name in {n for n, file in frames if file.startswith(PROJECT_DIRS)}:
            incl[name] = incl.get(name, 0) + count

    def ranked(d: dict[str, int]) -> list[list[Any]]:
        items = sorted(d.items(), key=lambda kv: -kv[1])[:top]
        return [[name, round(100 * n / max(total, 1), 1)] for name, n in items]

    return {
        "samples": total,
        "top_self_pct": ranked(self_count),
        "top_project_inclusive_pct": ranked(incl),
    }


# --- bulkflow ----------------------------------------------------------------------------


class Context:
    """What the whole run shares: temp dir, PostgreSQL, the broker's bootstrap."""

    def __init__(self, tmp: Path, pg: Any, bootstrap: str, broker_pid: int | None) -> None:
        self.tmp = tmp
        self.pg = pg
        self.bootstrap = bootstrap
        self.broker_pid = broker_pid

    @property
    def server_base(self) -> str:
        return self.pg.url.rsplit("/", 1)[0]

    def new_database(self, name: str) -> str:
        from ops.devservers.postgres import create_database

        create_database(f"{self.server_base}/postgres", name)
        return f"{self.server_base}/{name}"


def _upload_all(base_url: str, specs: list[FileSpec], threads: int) -> list[dict[str, Any]]:
    """Upload every file at once (a thread pool, one HTTP client per thread)."""
    from ops.client import ApiClient

    local = threading.local()
    clients: list[ApiClient] = []
    lock = threading.Lock()

    def one(spec: FileSpec) -> dict[str, Any]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = ApiClient(base_url, API_KEY)
            with lock:
                clients.append(client)
        submitted = time.time()
        try:
            answer = client.upload(spec.path, "orders")
            return {
                "name": spec.name,
                "kind": spec.kind,
                "rows": spec.rows,
                "submitted": submitted,
                "accepted": time.time(),
                "job_id": answer["job_id"],
                "tier": answer["tier"],
            }
        except Exception as exc:
            return {
                "name": spec.name,
                "kind": spec.kind,
                "rows": spec.rows,
                "submitted": submitted,
                "accepted": None,
                "job_id": None,
                "error": f"upload: {exc}"[:300],
            }

    try:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, specs))
    finally:
        for client in clients:
            client.close()


def _list_statuses(http: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        resp = http.get("/v1/uploads", params={"limit": 1000, "offset": offset})
        resp.raise_for_status()
        body = resp.json()
        for item in body["items"]:
            out[item["job_id"]] = item
        offset += len(body["items"])
        if not body["items"] or offset >= body["total"]:
            return out


def _epoch(value: str | None) -> float | None:
    return dt.datetime.fromisoformat(value).timestamp() if value else None


def run_bulkflow(
    ctx: Context,
    big: list[FileSpec],
    small: list[FileSpec],
    *,
    workers: int,
    producers: int,
    timeout_s: float,
    profile_s: int = 0,
    label: str = "",
    stall_s: float = 120.0,
) -> dict[str, Any]:
    import httpx

    from messaging.topics import create_topics
    from ops.client import ApiClient
    from ops.devservers.broker import free_port
    from ops.devservers.sample_data import write_orders_csv
    from ops.serve import build_supervisor
    from schemas.settings import load_settings, packaged_datasets_dir

    prefix = f"bb{uuid.uuid4().hex[:8]}w{workers}"
    url = ctx.new_database(prefix)
    home = ctx.tmp / prefix
    settings = load_settings(
        database_url=url,
        topic_prefix=prefix,
        home=home,
        kafka_bootstrap=ctx.bootstrap,
        api_keys=f"{TENANT}:{API_KEY}",
        datasets_dir=packaged_datasets_dir(),
    )
    create_topics(settings, ["orders"])
    port = free_port()
    supervisor = build_supervisor(
        settings,
        host="127.0.0.1",
        port=port,
        workers=workers,
        producers=producers,
        log_dir=home / "logs",
    )
    base_url = f"http://127.0.0.1:{port}"
    sampler = ProcSampler()
    for name, child in supervisor.children.items():
        sampler.add(name, _child_pids(child))
    sampler.add("kafka-broker", lambda: tree(ctx.broker_pid) if ctx.broker_pid else [])
    sampler.add("postgres", postgres_pids(ctx.pg))
    sampler.add("bench-driver", lambda: [os.getpid()])
    http = httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=httpx.Timeout(30.0),
    )
    events: list[str] = []
    default_label = f"bulkflow, {workers} worker(s)" + (
        f", {producers} producers" if producers > 1 else ""
    )
    result: dict[str, Any] = {
        "label": label or default_label,
        "workers": workers,
        "producers": producers,
        "topic_prefix": prefix,
        "concurrency_low": settings.concurrency_low,
        "concurrency_high": settings.concurrency_high,
        "chunk_rows": [
            settings.chunk_rows_busy,
            settings.chunk_rows_normal,
            settings.chunk_rows_idle,
        ],
        "chunk_partitions": settings.chunk_partitions,
    }
    profiles: list[Any] = []
    try:
        began = time.monotonic()
        supervisor.start()
        client = ApiClient(base_url, API_KEY)
        try:
            client.wait_ready(120)
            warm = write_orders_csv(home / "warm-up.csv", 20, start_id=2_000_000_000)
            accepted = client.upload(warm, "orders")
            final = client.wait_final(accepted["job_id"], timeout_s=120)
            if final.state not in ("completed", "completed_with_errors"):
                raise RuntimeError(f"the warm-up upload ended {final.state}: {final.error}")
        finally:
            client.close()
        # the second worker's group join must not fall inside the measured window
        pipeline = [_child_pids(c) for c in supervisor.children.values()]
        pipeline.append(lambda: tree(ctx.broker_pid) if ctx.broker_pid else [])
        result["idle_wait_s"] = wait_until_idle(pipeline)
        result["startup_s"] = round(time.monotonic() - began, 1)
        log(
            f"  pipeline up in {result['startup_s']} s ({', '.join(supervisor.children)}), "
            f"API {base_url}; uploading {len(big)} files at once ..."
        )
        sampler.start()
        if profile_s:
            targets = {
                n: c.proc.pid
                for n, c in supervisor.children.items()
                if c.proc and n.startswith(("worker", "producer", "api", "aggregator"))
            }
            profiles = start_profiles(targets, profile_s, RESULTS / "tmp" / "profile")
        t0 = time.time()
        uploads = _upload_all(base_url, big, UPLOAD_THREADS)
        peak = time.time()
        log(
            f"  {len(big)} big uploads accepted in {peak - t0:.1f} s; now the {len(small)} "
            "small ones (backlog at its peak) ..."
        )
        uploads += _upload_all(base_url, small, len(small))
        jobs = {u["job_id"]: u for u in uploads if u.get("job_id")}
        deadline = t0 + timeout_s
        timeline: list[list[float]] = []
        finals: dict[str, dict[str, Any]] = {}
        last_note = 0.0
        last_change: tuple[float, int, int] = (time.time(), -1, -1)
        while time.time() < deadline:
            for event in supervisor.poll():
                events.append(event)
                log(f"  supervisor: {event}")
            try:
                statuses = _list_statuses(http)
            except Exception as exc:
                events.append(f"status poll failed: {exc}")
                time.sleep(POLL_S)
                continue
            now = time.time()
            mine = [statuses[j] for j in jobs if j in statuses]
            rows_seen = sum(s["rows_ok"] + s["rows_failed"] for s in mine)
            for s in mine:
                if s["state"] in ("completed", "completed_with_errors", "failed"):
                    finals.setdefault(s["job_id"], {**s, "_seen": now})
            timeline.append([round(now - t0, 2), rows_seen, len(finals)])
            if (rows_seen, len(finals)) != last_change[1:]:
                last_change = (now, rows_seen, len(finals))
            elif now - last_change[0] > stall_s:
                result["stalled_after_s"] = round(now - t0, 1)
                log(
                    f"  no progress for {stall_s:.0f} s: {len(jobs) - len(finals)} uploads "
                    "are not final; giving up on them (see 'stuck' in the report)"
                )
                break
            if now - last_note >= 10:
                log(
                    f"    {now - t0:5.0f} s: {len(finals)}/{len(jobs)} uploads final, "
                    f"{rows_seen:,} rows"
                )
                last_note = now
            if len(finals) >= len(jobs):
                break
            time.sleep(POLL_S)
        result["timed_out"] = len(finals) < len(jobs)
        result["timeout_s"] = timeout_s
        result["profiles"] = finish_profiles(profiles)
        profiles = []
        for u in uploads:
            status = finals.get(u.get("job_id") or "")
            if status is None and u.get("job_id"):
                status = _list_statuses(http).get(u["job_id"])
            if status:
                u["state"] = status["state"]
                u["rows_ok"], u["rows_failed"] = status["rows_ok"], status["rows_failed"]
                u["started"] = _epoch(status.get("started_at"))
                finished = _epoch(status.get("finished_at"))
                u["finished"] = finished if status["state"] != "failed" or finished else None
                u["server_submitted"] = _epoch(status.get("submitted_at"))
                u["chunks"] = [status.get("chunks_done"), status.get("chunks_total")]
                if u["state"] == "failed":
                    u["error"] = status.get("error")
        result.update(
            t0=t0, peak_s=round(peak - t0, 2), uploads=uploads, timeline=timeline, events=events
        )
        result["stuck"] = [
            {k: u.get(k) for k in ("name", "job_id", "state", "chunks", "rows_ok")}
            for u in uploads
            if u.get("state") not in ("completed", "completed_with_errors", "failed")
        ]
        result["ledger"] = _ledger_series(url, t0, {u.get("job_id") for u in uploads})
        result["db_rows"] = _count(url, "ds_orders")
    finally:
        with contextlib.suppress(Exception):
            finish_profiles(profiles)
        samples = sampler.stop() if sampler.started else {"processes": {}}
        http.close()
        stop_began = time.monotonic()
        supervisor.stop()
        result["stop_s"] = round(time.monotonic() - stop_began, 1)
        result["resources"] = samples
        result["cpu_series"] = sampler.compact_series(result.get("t0", sampler.started))
        if result.get("timed_out") or events:
            result["log_tails"] = {n: supervisor.log_tail(n, 15) for n in supervisor.children}
    return result


def _count(url: str, table: str) -> int | None:
    try:
        return bulk_systems.count_rows(url, table)
    except Exception:
        return None


def _ledger_series(url: str, t0: float, jobs: set[str | None]) -> list[list[float]]:
    """(seconds after t0, rows) of every chunk of the run's jobs, from the chunk ledger."""
    import psycopg

    from ops.devservers.postgres import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT job_id, extract(epoch FROM processed_at), rows_ok + rows_failed "
            "FROM bulkflow_chunk_ledger ORDER BY processed_at"
        ).fetchall()
    return [[round(float(at) - t0, 3), int(n)] for job, at, n in rows if job in jobs]


# --- orchestration ------------------------------------------------------------------------


def ensure_postgres_binaries() -> None:
    from ops.devservers.postgres import ENV_URL, PostgresUnavailable, find_bindir

    if os.environ.get(ENV_URL):
        return
    try:
        find_bindir()
    except PostgresUnavailable:
        log("PostgreSQL binaries missing: running deploy/ensure-postgres.sh ...")
        subprocess.run(
            ["bash", str(ROOT / "deploy" / "ensure-postgres.sh")], check=True, timeout=1200
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench bulk", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--users",
        type=int,
        default=None,
        help="big files uploaded at once (default 500; --quick: 50)",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="rows per big file")
    parser.add_argument("--format", choices=["csv", "xlsx", "mixed"], default="xlsx")
    parser.add_argument("--quick", action="store_true", help="50 users, shorter caps")
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes of the main bulkflow run"
    )
    parser.add_argument(
        "--scale",
        default="1,2",
        help="worker counts of the scale-out runs (the main run's is reused)",
    )
    parser.add_argument("--producers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--baseline-cap",
        type=float,
        default=None,
        help="seconds the baseline may run before it is extrapolated",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds one bulkflow run may take"
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=120.0,
        help="give up on a bulkflow run after this long without progress",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="py-spy record the main run's processes for SECONDS",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    args = parser.parse_args(argv)
    if args.users is None:
        args.users = 50 if args.quick else 500
    if args.baseline_cap is None:
        args.baseline_cap = 60.0 if args.quick else 240.0
    if args.timeout is None:
        args.timeout = 300.0 if args.quick else 900.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminate(signum: int, _frame: Any) -> None:
        # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so every `finally` stops what it started
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        return run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    started = time.time()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    cpus = os.cpu_count() or 1
    log(
        f"bulkflow bench: {args.users} x {args.rows:,} rows ({args.format}) + 50 x 200 rows; "
        f"{cpus} CPUs; load average {os.getloadavg()[0]:.2f}"
    )
    big, small = plan(args.users, args.rows, args.format, args.seed)
    gen_s = ensure_files(big + small, echo=log)
    report: dict[str, Any] = {
        "benchmark": "bulkflow bench",
        "started_utc": stamp,
        "quick": args.quick,
        "args": vars(args),
        "cpu_count": cpus,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "load_avg_start": list(os.getloadavg()),
        "workload": {
            "big_files": len(big),
            "rows_per_big_file": args.rows,
            "small_files": len(small),
            "rows_per_small_file": small[0].rows,
            "format": args.format,
            "seed": args.seed,
            "invalid_every": 100,
            "total_rows": sum(s.rows for s in big + small),
            "bytes": sum(s.path.stat().st_size for s in big + small),
            "generated_s": round(gen_s, 1),
        },
        "systems": {},
    }
    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-bench-"))
    pg = broker = None
    rc = 0
    try:
        ensure_postgres_binaries()
        from ops.devservers.postgres import start_postgres

        pg = start_postgres(tmp / "pg")
        log(f"PostgreSQL at {pg.url.split('@')[-1]} (fsync=off; one database per system)")
        bootstrap = os.environ.get("BULKFLOW_KAFKA_BOOTSTRAP", "")
        broker_pid = None
        if not bootstrap:
            from ops.devservers.broker import LocalBroker, free_port
            from schemas.settings import load_settings

            broker = LocalBroker(
                load_settings(
                    home=tmp / "kafka-home", broker_port=free_port(), controller_port=free_port()
                )
            )
            broker.start(echo=lambda m: log(f"  {m}"))
            bootstrap = broker.bootstrap
            broker_pid = broker.status().pid
        ctx = Context(tmp, pg, bootstrap, broker_pid)
        counts = [args.workers]
        if not args.skip_scale:
            counts += [int(w) for w in args.scale.split(",") if int(w) != args.workers]
        for n, workers in enumerate(counts):
            key = f"bulkflow_w{workers}"
            log(f"bulkflow with {workers} worker process(es), {args.producers} producer(s) ...")
            res = run_bulkflow(
                ctx,
                big,
                small,
                workers=workers,
                producers=args.producers,
                timeout_s=args.timeout,
                profile_s=args.profile if n == 0 else 0,
                stall_s=args.stall,
            )
            res["main"] = n == 0
            report["systems"][key] = res
            log(f"  {bulk_report.one_line(res)}")
        if broker is not None:  # the comparison systems use no Kafka: free its CPU
            broker.stop(echo=lambda m: log(f"  {m}"))
            broker = None
        main_run = report["systems"][f"bulkflow_w{args.workers}"]
        small_at = float(main_run.get("peak_s") or 0.0)
        if not args.skip_baseline:
            log(
                f"baseline: {BASELINE_WORKERS} processes, whole files from a FIFO queue, "
                f"pandas + to_sql; small files at +{small_at:.1f} s; cap {args.baseline_cap:.0f} s"
            )
            report["systems"]["baseline"] = _run_other(
                "baseline",
                pg,
                lambda url, on_start, on_done: bulk_systems.run_baseline(
                    url,
                    big,
                    small,
                    workers=BASELINE_WORKERS,
                    small_at_s=small_at,
                    cap_s=args.baseline_cap,
                    on_start=on_start,
                    on_done=on_done,
                    echo=log,
                ),
            )
            log(f"  {bulk_report.one_line(report['systems']['baseline'])}")
        if not args.skip_raw:
            log(f"raw ceiling: {cpus} processes, fastexcel / pyarrow CSV + COPY, no Kafka")
            report["systems"]["raw"] = _run_other(
                "raw",
                pg,
                lambda url, on_start, on_done: bulk_systems.run_raw(
                    url,
                    big + small,
                    processes=cpus,
                    timeout_s=args.timeout,
                    on_start=on_start,
                    on_done=on_done,
                    echo=log,
                ),
            )
            log(f"  {bulk_report.one_line(report['systems']['raw'])}")
    except Exception as exc:
        import traceback

        log(f"bench failed: {type(exc).__name__}: {exc}")
        report["error"] = traceback.format_exc()
        rc = 1
    finally:
        if broker is not None:
            with contextlib.suppress(Exception):
                broker.stop(echo=lambda m: log(f"  {m}"))
        if pg is not None:
            with contextlib.suppress(Exception):
                pg.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["load_avg_end"] = list(os.getloadavg())
    report["wall_s"] = round(time.time() - started, 1)
    written = bulk_report.write(report, RESULTS)
    for path in written:
        log(f"wrote {path.relative_to(ROOT)}")
    bulk_report.print_ratios(report)
    return rc


def _run_other(name: str, pg: Any, body: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Run a comparison system on its own database with the process sampler around it."""
    from ops.devservers.postgres import create_database

    db = f"{name}_{uuid.uuid4().hex[:6]}"
    base = pg.url.rsplit("/", 1)[0]
    create_database(f"{base}/postgres", db)
    url = f"{base}/{db}"
    sampler = ProcSampler()
    sampler.add("postgres", postgres_pids(pg))
    sampler.add("bench-driver", lambda: [os.getpid()])

    def on_start(pids: list[int]) -> None:
        for i, pid in enumerate(pids):
            sampler.add(f"{name}-{i + 1}", _one_pid(pid))
        sampler.start()

    try:
        result = body(url, on_start, sampler.sample)
    finally:
        samples = sampler.stop() if sampler.started else {"processes": {}}
    result["resources"] = samples
    result["cpu_series"] = sampler.compact_series(result.get("t0", sampler.started))
    table = bulk_systems.BASELINE_TABLE if name == "baseline" else bulk_systems.RAW_TABLE
    result["db_rows"] = _count(url, table)
    result["label"] = (
        "baseline (4 procs, pandas + to_sql)"
        if name == "baseline"
        else "raw ceiling (fastexcel/pyarrow + COPY)"
    )
    return result


if __name__ == "__main__":
    sys.exit(main())
