"""How steady this machine is while nothing of ours runs: the fixed parse of
bench/work_probe.py, each time in a fresh process (as every run of the bench starts its
processes afresh), every ``--every`` seconds for ``--minutes``, with the load average at
each sample. Prints each sample, then the spread: min, p10, median, p90, max, max / min.

Run it on an idle machine before judging a bench on its worst run: when the same fixed
work costs much more in one minute than in another, consecutive runs of the bench differ
as much, whatever the pipeline does. Results: ``bench/results/steady.json``.

    .venv/bin/python -m bench steady [--minutes 10] [--every 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from typing import Any

from bench.bulk_cpu_probe import summarise
from bench.bulk_output import RESULTS, log
from bench.bulk_workload import ensure_files, plan
from bench.work_probe import FILES, work_probe

# a sample taken while the 1-minute load average is above this had company: counted apart
BUSY_LOAD = 1.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    parser.add_argument(
        "--every", type=float, default=15.0, help="seconds from one sample to the next (15)"
    )
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.every <= 0:
        parser.error("--minutes and --every must be above 0")
    return args


def spread(samples: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The spread of the quiet samples' µs per row (None without any): summarise's median,
    p10 and p90, with min, max and max / min; busy samples are counted, not used."""
    quiet = [s["us_per_row"] for s in samples if s["load1"] <= BUSY_LOAD]
    figures = summarise(quiet, unit="us", digits=3)
    if figures is None:
        return None
    low, high = min(quiet), max(quiet)
    busy = sum(1 for s in samples if s["load1"] > BUSY_LOAD)
    return {
        **figures,
        "min_us": low,
        "max_us": high,
        "max_over_min": round(high / low, 2),
        "busy_samples": busy,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    big, _small = plan(FILES, 10_000, "xlsx", 7)
    ensure_files(big, echo=log)
    paths = [spec.path for spec in big]
    log(
        f"the fixed parse of {FILES} files every {args.every:g} s for {args.minutes:g} min; "
        "leave the machine idle meanwhile"
    )
    started = dt.datetime.now(dt.UTC)
    began = time.monotonic()
    samples: list[dict[str, Any]] = []
    while (at := time.monotonic() - began) < args.minutes * 60:
        us = work_probe(paths)
        load1 = os.getloadavg()[0]
        if us is None:
            log("  the probe failed; see python -m bench.work_probe FILES")
            return 1
        samples.append({"at_s": round(at, 1), "us_per_row": us, "load1": round(load1, 2)})
        log(f"  {at:6.0f} s: {us:.3f} µs per row (load average {load1:.2f})")
        time.sleep(max(0.0, args.every - (time.monotonic() - began - at)))
    figures = spread(samples)
    if figures is None:
        log(f"no sample with the load average at or below {BUSY_LOAD}: the machine was busy")
        return 1
    log(
        f"{figures['samples']} quiet samples: min {figures['min_us']}, p10 {figures['p10_us']}, "
        f"median {figures['median_us']}, p90 {figures['p90_us']}, max {figures['max_us']} µs "
        f"per row; max / min {figures['max_over_min']}"
        + (f" ({figures['busy_samples']} busy samples left out)" if figures["busy_samples"] else "")
    )
    report = {
        "benchmark": "steady",
        "started_utc": started.isoformat(timespec="seconds"),
        "minutes": args.minutes,
        "every_s": args.every,
        "files": FILES,
        "spread": figures,
        "samples": samples,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "steady.json").write_text(json.dumps(report, indent=1) + "\n")
    log(f"wrote {RESULTS / 'steady.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
