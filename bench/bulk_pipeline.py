"""One bulkflow run of the bulk benchmark: the pipeline of ``bulkflow serve`` as supervised
processes, every upload at once, statuses polled until final, the chunk ledger read back.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

from bench import bulk_systems
from bench.bulk_counters import clean_start, instruments_now, instruments_since
from bench.bulk_output import RESULTS, log
from bench.bulk_pids import child_pids, postgres_part, postgres_pids, tree, wait_until_idle
from bench.bulk_profiles import finish_profiles, start_profiles
from bench.bulk_sampler import ProcSampler
from bench.bulk_uploads import API_KEY, epoch, list_statuses, upload_all
from bench.bulk_workload import FileSpec

TENANT = "bench"
UPLOAD_THREADS = 16
POLL_S = 2.0  # completion times come from the statuses, not from the poll


class Context:
    """What the whole run shares: temp dir, PostgreSQL, the broker's bootstrap (and, for a
    secured cluster, the rest of the client's settings), the brokers' processes (and, for a
    local broker, its data folder: its GC and bytes per topic are measured)."""

    def __init__(
        self,
        tmp: Path,
        pg: Any,
        bootstrap: str,
        broker_pid: int | None,
        broker_data_dir: Path | None = None,
        kafka: dict[str, Any] | None = None,
        broker_pids: list[int] | None = None,
    ) -> None:
        self.tmp = tmp
        self.pg = pg
        self.bootstrap = bootstrap
        self.broker_pid = broker_pid
        self.broker_data_dir = broker_data_dir
        self.kafka = kafka or {}  # settings fields: security, replication
        self.broker_pids = broker_pids or ([broker_pid] if broker_pid else [])

    def brokers(self) -> list[int]:
        """Every process of the brokers (their CPU is summed as one)."""
        return [pid for broker in self.broker_pids for pid in tree(broker)]

    @property
    def server_base(self) -> str:
        return self.pg.url.rsplit("/", 1)[0]

    def new_database(self, name: str) -> str:
        from ops.devservers.postgres import create_database

        create_database(f"{self.server_base}/postgres", name)
        return f"{self.server_base}/{name}"


def pipeline_supervisor(
    database_url: str,
    prefix: str,
    home: Path,
    bootstrap: str,
    workers: int,
    producers: int,
    kafka: dict[str, Any] | None = None,
    separate_spools: bool = False,
) -> tuple[Any, Any, int]:
    """The settings, the processes of ``bulkflow serve`` (not started yet) and the API's port
    of one bench run: the bench tenant, the orders dataset and its topics. With
    ``separate_spools`` every process has a spool of its own, as on machines of their own:
    the producers fetch each upload from ``uploads-blobs``."""
    from messaging.topics import create_topics
    from ops.devservers.broker import free_port
    from ops.serve import build_supervisor
    from schemas.settings import load_settings, packaged_datasets_dir

    settings = load_settings(
        database_url=database_url,
        topic_prefix=prefix,
        home=home,
        kafka_bootstrap=bootstrap,
        api_keys=f"{TENANT}:{API_KEY}",
        datasets_dir=packaged_datasets_dir(),
        **(kafka or {}),
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
    if separate_spools:
        for name, child in supervisor.children.items():
            child.env["BULKFLOW_SPOOL_DIR"] = str(home / "spools" / name)
    return settings, supervisor, port


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
    separate_spools: bool = False,
) -> dict[str, Any]:
    import httpx

    from ops.client import ApiClient
    from ops.devservers.sample_data import write_orders_csv

    prefix = f"bb{uuid.uuid4().hex[:8]}w{workers}"
    url, home = ctx.new_database(prefix), ctx.tmp / prefix
    settings, supervisor, port = pipeline_supervisor(
        url, prefix, home, ctx.bootstrap, workers, producers, ctx.kafka, separate_spools
    )
    base_url = f"http://127.0.0.1:{port}"
    sampler = ProcSampler()
    for name, child in supervisor.children.items():
        sampler.add(name, child_pids(child))
    sampler.add("kafka-broker", ctx.brokers)
    sampler.add("postgres", postgres_pids(ctx.pg), postgres_part)
    sampler.add("bench-driver", lambda: [os.getpid()])
    http = httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=httpx.Timeout(30.0),
    )
    events: list[str] = []
    default_label = (
        f"bulkflow, {workers} worker(s)"
        + (f", {producers} producers" if producers > 1 else "")
        + (", separate spools" if separate_spools else "")
    )
    result: dict[str, Any] = {
        "label": label or default_label,
        "workers": workers,
        "producers": producers,
        "separate_spools": separate_spools,
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
        pipeline = [child_pids(c) for c in supervisor.children.values()]
        pipeline.append(ctx.brokers)
        result["idle_wait_s"] = wait_until_idle(pipeline)
        result["startup_s"] = round(time.monotonic() - began, 1)
        log(
            f"  pipeline up in {result['startup_s']} s ({', '.join(supervisor.children)}), "
            f"API {base_url}; uploading {len(big)} files at once ..."
        )
        result["clean_start"] = clean_start(url)
        before = instruments_now(ctx, url, prefix)
        sampler.start()
        if profile_s:
            targets = {
                n: c.proc.pid
                for n, c in supervisor.children.items()
                if c.proc and n.startswith(("worker", "producer", "api", "aggregator"))
            }
            profiles = start_profiles(targets, profile_s, RESULTS / "tmp" / "profile")
        t0 = time.time()
        uploads = upload_all(base_url, big, UPLOAD_THREADS)
        peak = time.time()
        log(
            f"  {len(big)} big uploads accepted in {peak - t0:.1f} s; now the {len(small)} "
            "small ones (backlog at its peak) ..."
        )
        uploads += upload_all(base_url, small, len(small))
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
                statuses = list_statuses(http)
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
        result["instruments"] = instruments_since(before, instruments_now(ctx, url, prefix))
        result["timed_out"] = len(finals) < len(jobs)
        result["timeout_s"] = timeout_s
        result["profiles"] = finish_profiles(profiles)
        profiles = []
        for u in uploads:
            status = finals.get(u.get("job_id") or "")
            if status is None and u.get("job_id"):
                status = list_statuses(http).get(u["job_id"])
            if status:
                u["state"] = status["state"]
                u["rows_ok"], u["rows_failed"] = status["rows_ok"], status["rows_failed"]
                u["started"] = epoch(status.get("started_at"))
                finished = epoch(status.get("finished_at"))
                u["finished"] = finished if status["state"] != "failed" or finished else None
                u["server_submitted"] = epoch(status.get("submitted_at"))
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
        result["ledger"] = ledger_series(url, t0, {u.get("job_id") for u in uploads})
        result["db_rows"] = count_or_none(url, "ds_orders")
    finally:
        with contextlib.suppress(Exception):
            finish_profiles(profiles)
        samples = sampler.stop() if sampler.started else {"processes": {}}
        http.close()
        stop_began = time.monotonic()
        supervisor.stop()
        result["stop_s"] = round(time.monotonic() - stop_began, 1)
        delete_topics(settings, prefix)
        result["resources"] = samples
        result["cpu_series"] = sampler.compact_series(result.get("t0", sampler.started))
        if result.get("timed_out") or events:
            result["log_tails"] = {n: supervisor.log_tail(n, 15) for n in supervisor.children}
    return result


def count_or_none(url: str, table: str) -> int | None:
    try:
        return bulk_systems.count_rows(url, table)
    except Exception:
        return None


def ledger_series(url: str, t0: float, jobs: set[str | None]) -> list[list[float]]:
    """(seconds after t0, rows) of every chunk of the run's jobs, from the chunk ledger."""
    import psycopg

    from ops.devservers.postgres import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT job_id, extract(epoch FROM processed_at), rows_ok + rows_failed "
            "FROM bulkflow_chunk_ledger ORDER BY processed_at"
        ).fetchall()
    return [[round(float(at) - t0, 3), int(n)] for job, at, n in rows if job in jobs]


def delete_topics(settings: Any, prefix: str) -> None:
    """Delete a finished run's topics (its faust changelogs too), so the next run meets a
    broker that serves only its own partitions."""
    from messaging.topics import admin_client

    with contextlib.suppress(Exception):
        admin = admin_client(settings)
        names = [t for t in admin.list_topics(timeout=30).topics if t.startswith(prefix)]
        if names:
            for future in admin.delete_topics(names, operation_timeout=30).values():
                future.result(timeout=30)
