"""How fast this machine does our kind of work right now: the Rust reader parses a fixed set
of the bench's XLSX files in a fresh process, timed in CPU µs per row (the best of a few
passes).

bench/bulk_cpu_probe.py's fixed loop touches a few hundred bytes, so it sees a slower clock
or a busy sibling but not a slower cache or memory; a parse (inflate, scan, column buffers)
does. Run between the bench's runs, on an otherwise idle machine, it tells a machine that got
slower from a pipeline that did more work.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

FILES = 40  # about 0.5 s of one core per pass
PASSES = 3
TIMEOUT_S = 300.0


def _measure(paths: list[str]) -> dict[str, float]:
    """In the probe's own process: the best pass's CPU µs per row."""
    from bench.xlsx_rust_bench import read_rust

    def parse() -> int:
        return sum(read_rust(path, 10_000) for path in paths)

    parse()  # the first pass warms the page cache and the allocator
    best, rows = float("inf"), 0
    for _ in range(PASSES):
        began = time.process_time()
        rows = parse()
        best = min(best, time.process_time() - began)
    return {"us_per_row": round(best / rows * 1e6, 3), "rows": rows}


def work_probe(files: list[Path]) -> float | None:
    """CPU µs per row of the fixed parse in a fresh interpreter (None when it fails)."""
    paths = [str(p) for p in files[:FILES]]
    done = subprocess.run(
        [sys.executable, "-m", "bench.work_probe", *paths],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["us_per_row"])


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1:])))
