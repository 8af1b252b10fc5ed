"""``python -m bench history --jobs 1000000``: an API process in front of a long history.

1. Writes a history of ``--jobs`` finished jobs (bench/history_load.py): their final
   statuses on the compacted progress topic and their rows in ``bulkflow_job_status``.
2. Raw: the database alone answers the same lookups (a job by id; a page of a tenant's
   jobs, newest first, with the tenant's total), timed from this process.
3. After (this tree): starts an API process (``uvicorn api.app:create_app``) and measures
   the time until ``/readyz`` answers 200, its RSS and CPU then, ``GET /v1/uploads/{id}`` of
   old jobs (each asked once) and ``GET /v1/uploads?offset=..`` (the first 20 pages of
   random tenants): p50 and p95, CPU ms per request, RSS after.
4. Before: the same against the code of the base commit (``git merge-base HEAD main``),
   checked out in a temporary ``git worktree`` (same venv; its API reads the whole topic).
   An API that passes ``--rss-limit-mb`` or ``--ready-timeout`` is stopped and reported so.

Goals (after): ready <= 5 s, RSS <= 300 MB, old-job GET p95 <= 50 ms, list p95 <= 100 ms.
Writes bench/results/history_bench.json. Everything started is stopped in ``finally``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.bulk_output import RESULTS, ROOT, log
from bench.history_api import measure_api, raw_database
from bench.history_load import check_shape, past_jobs, write_database, write_topic

GOALS = {"ready_s": 5.0, "rss_mb": 300.0, "get_p95_ms": 50.0, "list_p95_ms": 100.0}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench history", description=__doc__)
    p.add_argument("--jobs", type=int, default=1_000_000)
    p.add_argument("--tenants", type=int, default=10)
    p.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument("--gets", type=int, default=2_000, help="old jobs looked up by id")
    p.add_argument("--pages", type=int, default=500, help="list pages asked for")
    p.add_argument(
        "--before-pages", type=int, default=100, help="of them, asked of the code before"
    )
    p.add_argument("--skip-before", action="store_true", help="measure this tree only")
    p.add_argument("--rss-limit-mb", type=float, default=6_000.0)
    p.add_argument("--ready-timeout", type=float, default=900.0)
    return p.parse_args()


def base_commit() -> str:
    out = subprocess.run(
        ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def main() -> int:
    args = parse_args()
    from messaging.names import topic_names
    from messaging.topics import create_topics
    from ops.devservers.broker import LocalBroker, free_port
    from ops.devservers.postgres import start_postgres
    from schemas.settings import load_settings, packaged_datasets_dir

    log(f"load average at start: {os.getloadavg()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    broker = pg = worktree = None
    result: dict[str, Any] = {"jobs": args.jobs, "tenants": args.tenants, "db": args.db}
    result["load_average_at_start"] = os.getloadavg()
    try:
        bootstrap = os.environ.get("BULKFLOW_KAFKA_BOOTSTRAP")
        if not bootstrap:
            broker = LocalBroker(
                load_settings(
                    home=tmp / "kafka", broker_port=free_port(), controller_port=free_port()
                )
            )
            broker.start(echo=log)
            bootstrap = broker.bootstrap
        if args.db == "postgres":
            pg = start_postgres(tmp / "pg")
            url = pg.url
        else:
            url = f"sqlite:///{tmp / 'history.db'}"
        tenants = ",".join(f"tenant{i}:key{i}" for i in range(args.tenants))
        settings = load_settings(
            topic_prefix=f"hist{random.getrandbits(32):08x}",
            home=tmp / "home",
            kafka_bootstrap=bootstrap,
            database_url=url,
            api_keys=tenants,
            datasets_dir=packaged_datasets_dir(),
        )
        create_topics(settings, ["orders"])

        check_shape()
        log(f"writing a history of {args.jobs:,} finished jobs ...")
        progress = topic_names(settings).progress
        result["topic_write_s"] = write_topic(
            bootstrap, progress, past_jobs(args.jobs, args.tenants)
        )
        log(f"history: {args.jobs:,} statuses on {progress} in {result['topic_write_s']:.1f}s")
        result["database_write_s"] = write_database(url, past_jobs(args.jobs, args.tenants))
        log(f"history: {args.jobs:,} rows in the database in {result['database_write_s']:.1f}s")
        if pg is not None:
            _vacuum(url)
            result["table_bytes_per_job"] = round(_table_bytes(url) / args.jobs)
            log(f"bulkflow_job_status: {result['table_bytes_per_job']} bytes a job (with indexes)")
        rng = random.Random(7)
        # the older half of the history: long gone from any process's memory
        chosen = set(rng.sample(range(args.jobs // 2), min(args.gets, args.jobs // 2)))
        asked = [
            (j.job_id, j.tenant)
            for n, j in enumerate(
                itertools.islice(past_jobs(args.jobs, args.tenants), args.jobs // 2)
            )
            if n in chosen
        ]
        rng.shuffle(asked)
        pages = [
            (f"tenant{rng.randrange(args.tenants)}", rng.randrange(20) * 50)
            for _ in range(args.pages)
        ]

        result["raw_database"] = raw_database(url, asked, pages)
        log(f"raw database: {json.dumps(result['raw_database'])}")
        result["after"] = measure_api(
            "after", ROOT, settings, asked, pages, args.rss_limit_mb, args.ready_timeout
        )
        if not args.skip_before:
            commit = base_commit()
            worktree = tmp / "base"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(worktree), commit],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            result["before_commit"] = commit
            result["before"] = measure_api(
                "before",
                worktree,
                settings,
                asked,
                pages[: args.before_pages],
                args.rss_limit_mb,
                args.ready_timeout,
            )
        result["load_average_at_end"] = os.getloadavg()
        _report(result)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "history_bench.json").write_text(json.dumps(result, indent=2) + "\n")
        log(f"written {RESULTS / 'history_bench.json'}")
        return 0
    finally:
        if worktree is not None:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False
            )
        if pg is not None:
            pg.stop()
        if broker is not None:
            broker.stop(echo=log)
        shutil.rmtree(tmp, ignore_errors=True)


def _vacuum(url: str) -> None:
    """What autovacuum does to a freshly loaded table: the visibility map that lets the
    tenant's count be an index-only scan."""
    import psycopg

    from ops.devservers.postgres import libpq_url

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE bulkflow_job_status")


def _table_bytes(url: str) -> int:
    import psycopg

    from ops.devservers.postgres import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT pg_total_relation_size('bulkflow_job_status')").fetchone()
    return int(row[0]) if row else 0


def _report(result: dict[str, Any]) -> None:
    raw = result["raw_database"]
    lines = [f"{'':24}{'after':>12}{'before':>12}{'raw db':>10}{'goal':>8}"]
    after, before = result["after"], result.get("before", {})
    rows = [
        ("ready s", "ready_s", None, "ready_s"),
        ("RSS ready MB", "rss_ready_mb", None, "rss_mb"),
        ("RSS end MB", "rss_end_mb", None, "rss_mb"),
        ("CPU to ready s", "cpu_ready_s", None, None),
        ("GET old job p50 ms", "get_p50_ms", "get_p50_ms", None),
        ("GET old job p95 ms", "get_p95_ms", "get_p95_ms", "get_p95_ms"),
        ("GET CPU ms / request", "get_cpu_ms", None, None),
        ("list page p50 ms", "list_p50_ms", "list_p50_ms", None),
        ("list page p95 ms", "list_p95_ms", "list_p95_ms", "list_p95_ms"),
        ("list CPU ms / request", "list_cpu_ms", None, None),
    ]
    for label, key, raw_key, goal in rows:
        cells = [after.get(key), before.get(key), raw.get(raw_key) if raw_key else None]
        text = "".join(
            f"{c:>12.1f}" if isinstance(c, float | int) else f"{'-':>12}" for c in cells[:2]
        )
        text += f"{cells[2]:>10.2f}" if isinstance(cells[2], float | int) else f"{'-':>10}"
        text += f"{GOALS[goal]:>8.0f}" if goal else f"{'':>8}"
        lines.append(f"{label:<24}{text}")
    for line in lines:
        log(line)
    if before.get("stopped"):
        log(f"before: {before['stopped']}")
    for key, limit in GOALS.items():
        measured = after.get(key if key != "rss_mb" else "rss_end_mb")
        verdict = "PASS" if measured is not None and measured <= limit else "MISS"
        log(f"goal {key} <= {limit}: {measured} {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
