"""Optional py-spy profiles of the bulkflow run's processes and their top functions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.bulk_output import log


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
