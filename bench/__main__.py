"""Run one benchmark from the repo root: ``python -m bench NAME [ARGS ...]``.

bench/ is not part of the installed package; it uses the package (and its development
servers, ``ops.devservers``) like any other program. ``python -m bench NAME --help`` shows a
benchmark's own options.
"""

from __future__ import annotations

import importlib
import sys

# name -> (module, what it measures)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "bulk": ("bench.bulk_bench", "the 500-user scenario: bulkflow vs baseline vs raw ceiling"),
    "cluster": (
        "bench.bulk_cluster",
        "the 500-user scenario on the secured 3-node cluster beside the open broker",
    ),
    "fresh": (
        "bench.fresh_servers",
        "consecutive runs of the 500-user scenario on servers started afresh before each",
    ),
    "worker": ("bench.worker_bench", "one real worker process vs raw database writes"),
    "chunks": (
        "bench.chunk_loop_bench",
        "ChunkHandler.handle in-process: CPU per row, and the DB's",
    ),
    "producer": ("bench.producer_bench", "parse + chunk + encode per format, peak RSS"),
    "persistence": ("bench.persistence_speed", "save_chunk vs bare inserts and COPY"),
    "copy_concurrency": (
        "bench.copy_concurrency",
        "PostgreSQL's CPU per row for chunk writes N at once, vs bare COPY",
    ),
    "pooler": (
        "bench.pooler_bench",
        "the upsert path pooler-safe, with session state, via PgBouncer",
    ),
    "validation": ("bench.validation_speed", "validate_batch rows per second on one core"),
    "xlsx": ("bench.xlsx_speed", "XLSX reader paths next to the raw libraries"),
    "xlsx_rust": ("bench.xlsx_rust_bench", "the Rust XLSX reader vs fastexcel, fresh processes"),
    "codec": ("bench.codec_compare", "Arrow IPC compression codecs on one chunk"),
    "compression": (
        "bench.results_compression",
        "Kafka compression of results records: sender and broker CPU per row",
    ),
    "idle": ("bench.idle_cost", "idle CPU per process, CPU per small upload (fixed costs)"),
    "upload": ("bench.upload_transfer", "an upload to another machine: Kafka parts vs database"),
    "history": (
        "bench.history_bench",
        "an API in front of 1,000,000 finished jobs: start-up, RSS, old-job and list latency",
    ),
    "soak": ("bench.soak_bench", "bulkflow serve under a steady mixed load: what grows"),
    "steady": ("bench.steady_machine", "how steady the idle machine is: a fixed parse, sampled"),
}


def usage() -> str:
    lines = ["usage: python -m bench NAME [ARGS ...]", "", "benchmarks:"]
    lines += [f"  {name:<12} {about}" for name, (_module, about) in BENCHMARKS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[name][0])
    # the benchmarks read their options from sys.argv, as when run as their own module
    sys.argv = [f"python -m bench {name}", *rest]
    result = module.main()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
