"""The sampler's parts of a group (PostgreSQL's roles) on this process's own /proc files."""

from __future__ import annotations

import os

from bench.bulk_sampler import ProcSampler


def test_a_process_first_seen_with_its_parents_title_is_asked_again() -> None:
    # a backend forked a moment ago still shows the postmaster's title
    titles = iter(["postmaster", "backend", "backend", "backend"])
    asked: list[str] = []

    def part(_pid: int) -> str:
        asked.append(next(titles))
        return asked[-1]

    sampler = ProcSampler(interval_s=60)
    sampler.add("postgres", lambda: [os.getpid()], part)
    sampler.start()
    sampler.sample()  # the baseline, before the work (the sampler's thread may come later)
    sum(i * i for i in range(300_000))  # some CPU between the samples
    sampler.sample()
    sum(i * i for i in range(300_000))
    summary = sampler.stop()
    parts = summary["processes"]["postgres"]["sched"]["parts"]
    assert asked == ["postmaster", "backend"]  # asked until settled, then remembered
    assert parts["backend"]["cpu_s"] > 0
    assert parts["backend"]["cpu_s"] >= parts.get("postmaster", {"cpu_s": 0})["cpu_s"]


def test_the_machine_figures_cover_the_window() -> None:
    sampler = ProcSampler(interval_s=60)
    sampler.add("me", lambda: [os.getpid()])
    sampler.start()
    sampler.sample()  # the baseline, before the work
    sum(i * i for i in range(300_000))
    summary = sampler.stop()
    machine = summary["machine"]
    assert machine["cores"] == os.cpu_count()
    assert machine["cpu"]["busy_s"] > 0
    assert set(machine["load_start"]) == {"load1", "load5", "load15", "runnable", "tasks"}
    # this process is part of the machine: its CPU is inside the machine's busy time
    assert 0 < summary["this_run_cpu_s"] <= summary["machine_cpu_s"] + 0.05
