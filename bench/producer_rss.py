"""Peak RSS of parse + chunk + encode of one file in a fresh interpreter (``--rss-child``),
with the default reader limits, so the XLSX path taken is the one production would take.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.producer_inputs import ROOT, WORK
from bench.producer_throughput import GOALS, pipeline, timed

RSS_CHILD_TIMEOUT_S = 1800


def rss_child(path: str) -> None:
    """Child side: parse+chunk+encode one file with default limits, print one JSON line."""
    import psutil

    baseline_mb = psutil.Process().memory_info().rss / 2**20  # after the interpreter started
    info: dict[str, Any] = {}
    run = pipeline(Path(path), info=info)
    result = timed(run)
    print(
        json.dumps(
            {
                **result,
                **info,
                "baseline_rss_mb": round(baseline_mb, 1),
                "vm_hwm_mb": round(vm_hwm_mb(), 1),
            }
        )
    )


def vm_hwm_mb() -> float:
    """This process's peak RSS since its exec (VmHWM). Unlike getrusage's ru_maxrss, which
    Linux carries over from the forking parent, it counts only this program's own memory."""
    status = Path("/proc/self/status").read_text()
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return (
        int(found.group(1)) / 1024
        if found
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )


def measure_rss(path: Path) -> dict[str, Any]:
    """Run the child; its peak RSS is its own VmHWM, cross-checked by polling it with psutil.

    (os.wait4's ru_maxrss is not used as the figure: Linux starts a forked child's maxrss at
    the parent's RSS, so it would report this, already large, benchmark process.)"""
    import psutil

    out_path = WORK / f".rss-{os.getpid()}-{path.name}.json"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.producer_bench", "--rss-child", str(path)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + RSS_CHILD_TIMEOUT_S
    polled = 0
    watched = psutil.Process(proc.pid)
    try:
        while True:
            with contextlib.suppress(psutil.Error):
                polled = max(polled, watched.memory_info().rss)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                raise RuntimeError(f"--rss-child {path.name} took over {RSS_CHILD_TIMEOUT_S}s")
            time.sleep(0.05)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            proc.wait(10)
        raise
    text = out_path.read_text(errors="replace")
    out_path.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise RuntimeError(f"--rss-child {path.name} failed ({proc.returncode}):\n{text[-2000:]}")
    child = json.loads(text.strip().splitlines()[-1])
    peak_mb = child["vm_hwm_mb"]
    child.update(
        file=path.name,
        file_mb=round(path.stat().st_size / 1e6, 1),
        peak_rss_mb=round(peak_mb, 1),
        polled_max_rss_mb=round(polled / 2**20, 1),
        wait4_maxrss_mb=round(usage.ru_maxrss / 1024, 1),
        child_cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        goal_mb=GOALS["peak_rss_mb"],
        goal_met=peak_mb <= GOALS["peak_rss_mb"],
    )
    return child


def print_rss(result: dict[str, Any], goal_applies: bool) -> None:
    verdict = ("PASS" if result["goal_met"] else "MISS") if goal_applies else "(not a goal file)"
    print(
        f"  {result['file']:<28} {result['file_mb']:>7.0f} MB  path {result['reader']:<20} "
        f"peak RSS {result['peak_rss_mb']:6.1f} MB (polled {result['polled_max_rss_mb']:.0f} MB; "
        f"bare interpreter "
        f"{result['baseline_rss_mb']:.0f} MB)  {result['rows']:,} rows "
        f"{result['rows_per_s']:,} rows/s  cpu {result['child_cpu_s']:.1f} s  "
        f"goal <= {GOALS['peak_rss_mb']} MB: {verdict}",
        flush=True,
    )
