"""How an uploaded file reaches a producer on another machine: Kafka parts vs database rows.

Run from the repo root::

    .venv/bin/python -m bench upload [--mb 50] [--repeat 3] [--db sqlite|postgres|both]

One orders CSV of about ``--mb`` MB (cached under bench/.work/) goes, each way, from the
"API" side to the "producer" side, 1 MiB at a time, streamed from and to disk:

* ``kafka``: ``messaging.upload_blobs.publish_upload_blob`` (parts on ``uploads-blobs``,
  acks=all, flushed) then ``fetch_upload_blob`` into another folder (sha256 checked): what
  bulkflow does.
* ``sqlite`` / ``postgres``: the same parts as rows of a bytea/BLOB table through SQLAlchemy,
  one transaction, then read back in order with a streaming cursor, then deleted. (SQLite
  cannot be shared between machines; it is here as the floor. The local PostgreSQL runs
  with fsync=off, so its figures flatter it.)

Upload time is what the API adds to a request; fetch time is what the producer waits before
parsing. Results: ``bench/results/upload_transfer.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / ".work"
PART_BYTES = 1 << 20
BYTES_PER_ROW = 67  # about what write_orders_csv writes per row


def sample_file(mb: int) -> Path:
    from ops.devservers.sample_data import write_orders_csv

    path = WORK / f"upload-orders-{mb}mb.csv"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        write_orders_csv(path, mb * 1_000_000 // BYTES_PER_ROW, invalid_every=100)
    return path


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def kafka_round(settings: Any, source: Path, target: Path) -> tuple[float, float]:
    from messaging.publisher import Publisher
    from messaging.upload_blobs import fetch_upload_blob, holds_blob, publish_upload_blob

    job_id = uuid.uuid4().hex
    placed: list[Any] = []
    with Publisher(settings) as publisher:
        upload_s = timed(
            lambda: placed.append(publish_upload_blob(publisher, settings, job_id, source))
        )
    fetch_s = timed(lambda: fetch_upload_blob(settings, job_id, placed[0], target))
    assert holds_blob(target, placed[0])
    return upload_s, fetch_s


def blob_table() -> sa.Table:
    return sa.Table(
        "upload_blob_parts",
        sa.MetaData(),
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("part_no", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def database_round(url: str, source: Path, target: Path) -> tuple[float, float]:
    from database.engine import make_engine

    engine = make_engine(url)
    table = blob_table()
    table.metadata.create_all(engine)
    job_id = uuid.uuid4().hex

    def store() -> None:
        with engine.begin() as conn, source.open("rb") as handle:
            part_no = 0
            while data := handle.read(PART_BYTES):
                conn.execute(table.insert(), {"job_id": job_id, "part_no": part_no, "data": data})
                part_no += 1

    def fetch() -> None:
        query = sa.select(table.c.data).where(table.c.job_id == job_id).order_by(table.c.part_no)
        with engine.connect() as conn, target.open("wb") as out:
            rows = conn.execution_options(stream_results=True, yield_per=4).execute(query)
            for (data,) in rows:
                out.write(data)

    upload_s, fetch_s = timed(store), timed(fetch)
    assert target.stat().st_size == source.stat().st_size
    with engine.begin() as conn:
        conn.execute(table.delete().where(table.c.job_id == job_id))
    engine.dispose()
    return upload_s, fetch_s


def summary(rounds: list[tuple[float, float]], size: int) -> dict[str, Any]:
    uploads, fetches = [r[0] for r in rounds], [r[1] for r in rounds]
    mb = size / 1e6
    return {
        "upload_s_median": round(statistics.median(uploads), 3),
        "fetch_s_median": round(statistics.median(fetches), 3),
        "upload_mb_s": round(mb / statistics.median(uploads), 1),
        "fetch_mb_s": round(mb / statistics.median(fetches), 1),
        "rounds": [[round(u, 3), round(f, 3)] for u, f in rounds],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()

    from messaging.topics import create_topics
    from ops.devservers.broker import LocalBroker, free_port
    from schemas.settings import load_settings

    source = sample_file(args.mb)
    size = source.stat().st_size
    load_start = [round(x, 2) for x in os.getloadavg()]
    print(f"upload_transfer: {size / 1e6:.1f} MB, load average {load_start}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-upbench-"))
    report: dict[str, Any] = {
        "benchmark": "upload_transfer",
        "file_bytes": size,
        "part_bytes": PART_BYTES,
        "started_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_avg_start": load_start,
        "cpu_count": os.cpu_count(),
        "results": {},
    }
    broker = pg_server = None
    try:
        port = free_port()
        settings = load_settings(
            home=tmp / "home",
            broker_port=port,
            controller_port=free_port(),
            kafka_bootstrap=f"127.0.0.1:{port}",
        )
        broker = LocalBroker(settings)
        broker.start(echo=lambda m: print(f"  {m}", flush=True))
        create_topics(settings)
        ways: dict[str, Callable[[Path], tuple[float, float]]] = {
            "kafka": lambda target: kafka_round(settings, source, target)
        }
        if args.db in ("sqlite", "both"):
            url = f"sqlite:///{tmp / 'blobs.db'}"
            ways["sqlite"] = lambda target: database_round(url, source, target)
        if args.db in ("postgres", "both"):
            from ops.devservers.postgres import start_postgres

            pg_server = start_postgres(tmp / "pg")
            pg_url = pg_server.url
            ways["postgres"] = lambda target: database_round(pg_url, source, target)
        for name, way in ways.items():
            rounds = []
            for n in range(args.repeat):
                target = tmp / f"{name}-{n}.csv"
                rounds.append(way(target))
                target.unlink()
            report["results"][name] = summary(rounds, size)
            print(f"  {name:<9} {report['results'][name]}", flush=True)
    finally:
        if pg_server is not None:
            pg_server.stop(timeout=30)
        if broker is not None:
            broker.stop(echo=lambda m: print(f"  {m}"))
        shutil.rmtree(tmp, ignore_errors=True)
    report["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "upload_transfer.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
