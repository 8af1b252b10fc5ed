"""Small uploads under load: 200 small CSV uploads (200-2,000 rows) and 5 of 50,000 rows,
posted at once from 50 clients to ``bulkflow serve``'s processes. Prints, for the small
ones, POST -> completed (the server's ``finished_at``) p50, p95 and max, and the CPU seconds
of every process, and where the small jobs' time went, stage by stage, from the timestamps
on their records (bench/small_uploads_stages.py). Goal: small p95 <= 3 s.

Run from the repo root: ``python -m bench.small_uploads_bench [--small 200] [--big 5]``.
A local broker on free ports in a temp home (or ``BULKFLOW_KAFKA_BOOTSTRAP``); SQLite in the
temp home (or ``BULKFLOW_DATABASE_URL``). Every wait has a timeout; everything started is
stopped in ``finally``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

API_KEY = "bench-key"
CLIENTS = 50
TIMEOUT_S = 600.0


def make_files(folder: Path, small: int, big: int) -> list[tuple[str, Path]]:
    """Deterministic inputs, cached: ("big"|"small", path), big ones first."""
    from ops.devservers.sample_data import write_orders_csv

    folder.mkdir(parents=True, exist_ok=True)
    sizes = random.Random(7)
    files = [("big", folder / f"big-{i}.csv", 50_000) for i in range(big)]
    files += [("small", folder / f"small-{i}.csv", sizes.randint(200, 2_000)) for i in range(small)]
    for _kind, path, rows in files:
        if not path.exists():
            write_orders_csv(path, rows, invalid_every=100)
    return [(kind, path) for kind, path, _rows in files]


def post_all(base_url: str, files: list[tuple[str, Path]]) -> list[dict[str, Any]]:
    import httpx

    def one(item: tuple[str, Path]) -> dict[str, Any]:
        kind, path = item
        with httpx.Client(base_url=base_url, timeout=120.0) as http, path.open("rb") as f:
            submitted = time.time()
            answer = http.post(
                "/v1/uploads",
                files={"file": (path.name, f)},
                data={"dataset": "orders"},
                headers={"Authorization": f"Bearer {API_KEY}"},
            )
        answered = time.time()
        answer.raise_for_status()
        return {
            "kind": kind,
            "job_id": answer.json()["job_id"],
            "submitted": submitted,
            "answered": answered,
        }

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, files))


def wait_finished(base_url: str, jobs: list[dict[str, Any]]) -> dict[str, float]:
    """job id -> the server's finished_at (epoch), once every job is final."""
    import httpx

    wanted = {j["job_id"] for j in jobs}
    finished: dict[str, float] = {}
    deadline = time.monotonic() + TIMEOUT_S
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=base_url, timeout=30.0, headers=headers) as http:
        while wanted - finished.keys() and time.monotonic() < deadline:
            body = http.get("/v1/uploads", params={"limit": 1000}).json()
            for item in body["items"]:
                if item["job_id"] in wanted and item.get("finished_at"):
                    finished[item["job_id"]] = dt.datetime.fromisoformat(
                        item["finished_at"]
                    ).timestamp()
            time.sleep(0.5)
    missing = wanted - finished.keys()
    if missing:
        raise SystemExit(f"{len(missing)} jobs not final within {TIMEOUT_S:.0f}s")
    return finished


def cpu_seconds(supervisor: Any) -> dict[str, float]:
    import psutil

    out = {}
    for name, child in supervisor.children.items():
        try:
            procs = [psutil.Process(child.proc.pid)]
            procs += procs[0].children(recursive=True)
            out[name] = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
        except (psutil.Error, AttributeError):
            out[name] = float("nan")
    return out


def run(small: int, big: int) -> int:
    import httpx

    from bench.small_uploads_stages import JobTimes, breakdown, collect, percentile
    from messaging.names import topic_names
    from messaging.topics import create_topics
    from ops.devservers.broker import LocalBroker, free_port
    from ops.serve import build_supervisor
    from schemas.settings import load_settings

    print(f"load average at start: {os.getloadavg()}")
    files = make_files(ROOT / "bench" / ".work" / "small", small, big)
    with tempfile.TemporaryDirectory(prefix="bulkflow-small-") as tmp:
        home = Path(tmp)
        broker = None
        bootstrap = os.environ.get("BULKFLOW_KAFKA_BOOTSTRAP", "")
        if not bootstrap:
            broker_settings = load_settings(
                home=home / "kafka", broker_port=free_port(), controller_port=free_port()
            )
            broker = LocalBroker(broker_settings)
            broker.start(echo=print)
            bootstrap = broker.bootstrap
        settings = load_settings(
            home=home / "home",
            kafka_bootstrap=bootstrap,
            api_keys=f"bench:{API_KEY}",
            topic_prefix=f"small{int(time.time())}",
        )
        create_topics(settings, ["orders"])
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        supervisor = build_supervisor(settings, host="127.0.0.1", port=port, log_dir=home / "logs")
        supervisor.start()
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            warm = post_all(base_url, files[-1:])  # boots every process's path once
            wait_finished(base_url, warm)
            cpu_before = cpu_seconds(supervisor)
            started = time.monotonic()
            jobs = post_all(base_url, files)
            finished = wait_finished(base_url, jobs)
            wall = time.monotonic() - started
            cpu_after = cpu_seconds(supervisor)
            small_times = {
                j["job_id"]: JobTimes(submitted=j["submitted"], answered=j["answered"])
                for j in jobs
                if j["kind"] == "small"
            }
            collect(bootstrap, topic_names(settings), "high", small_times)
        finally:
            supervisor.stop()
            if broker is not None:
                broker.stop(echo=print)
    took = {j["job_id"]: finished[j["job_id"]] - j["submitted"] for j in jobs}
    small_s = [took[j["job_id"]] for j in jobs if j["kind"] == "small"]
    big_s = [took[j["job_id"]] for j in jobs if j["kind"] == "big"]
    p50, p95 = statistics.median(small_s), percentile(small_s, 0.95)
    print(
        f"{len(small_s)} small uploads, POST -> completed: "
        f"p50 {p50:.2f}s  p95 {p95:.2f}s  max {max(small_s):.2f}s"
    )
    if big_s:
        print(f"{len(big_s)} big uploads: max {max(big_s):.1f}s; everything in {wall:.1f}s")
    for line in breakdown(list(small_times.values())):
        print(line)
    for name in cpu_after:
        print(f"  CPU {name}: {cpu_after[name] - cpu_before.get(name, 0.0):.1f}s")
    print(f"small p95 <= 3 s: {'PASS' if p95 <= 3.0 else 'MISS'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--big", type=int, default=5)
    args = parser.parse_args(argv)
    return run(args.small, args.big)


if __name__ == "__main__":
    raise SystemExit(main())
