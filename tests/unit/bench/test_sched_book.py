"""A group's scheduler counters over a window: baselines, new threads, kinds and parts."""

from __future__ import annotations

from bench.bulk_procfs import ThreadCounters
from bench.bulk_sched import SchedBook


def c(cpu: float, delay: float, vol: int = 0, invol: int = 0, mig: int = 0) -> ThreadCounters:
    return ThreadCounters(cpu, delay, vol, invol, mig)


def test_a_thread_seen_at_the_start_counts_only_what_it_did_after() -> None:
    book = SchedBook()
    book.add(1, 1, c(100.0, 50.0, 1000, 200, 30), kind="main", baseline=True)
    book.add(1, 1, c(101.5, 50.5, 1010, 205, 31), kind="main")
    book.add(1, 1, c(102.0, 52.0, 1020, 215, 33), kind="main")
    s = book.summary()
    assert (s["cpu_s"], s["run_delay_s"]) == (2.0, 2.0)
    assert (s["voluntary"], s["involuntary"], s["migrations"]) == (20, 15, 3)


def test_a_thread_born_in_the_window_counts_from_zero() -> None:
    book = SchedBook()
    book.add(1, 1, c(10.0, 1.0), kind="main", baseline=True)
    book.add(1, 2, c(0.4, 0.3, 5, 2, 1), kind="rdk:broker#")
    s = book.summary()
    assert s["cpu_s"] == 0.4
    assert s["threads"]["rdk:broker#"]["involuntary"] == 2
    assert s["threads_seen"] == 2


def test_kinds_are_ranked_by_cpu_and_parts_are_summed() -> None:
    book = SchedBook()
    for pid, part in ((10, "backend"), (11, "backend"), (12, "checkpointer")):
        book.add(pid, pid, c(0, 0), kind="postgres", part=part, baseline=True)
    book.add(10, 10, c(1.0, 0.5, invol=3), kind="postgres", part="backend")
    book.add(11, 11, c(2.0, 0.1, invol=4), kind="postgres", part="backend")
    book.add(12, 12, c(0.2, 0.0), kind="postgres", part="checkpointer")
    book.add(13, 13, c(0.7, 0.2), kind="autovacuum", part="autovacuum worker")
    s = book.summary()
    assert list(s["threads"]) == ["postgres", "autovacuum"]
    assert s["parts"]["backend"] == {
        "cpu_s": 3.0,
        "run_delay_s": 0.6,
        "voluntary": 0,
        "involuntary": 7,
        "migrations": 0,
    }
    assert s["parts"]["autovacuum worker"]["cpu_s"] == 0.7
    assert s["cpu_s"] == 3.9


def test_a_counter_that_goes_back_never_subtracts() -> None:
    book = SchedBook()
    book.add(1, 1, c(5.0, 5.0, 10, 10, 10), kind="main", baseline=True)
    book.add(1, 1, c(4.0, 4.0, 9, 9, 9), kind="main")  # a reused thread id, say
    assert book.summary()["cpu_s"] == 0.0
