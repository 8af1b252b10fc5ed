"""The bulk bench's /proc parsers on files captured from a Linux machine (tests/data/proc)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bulk_procfs as procfs

PROC = Path(__file__).resolve().parents[2] / "data" / "proc"


def text(name: str) -> str:
    return (PROC / name).read_text()


def test_the_machine_cpu_line_is_read_and_the_per_cpu_lines_are_not() -> None:
    stat = procfs.parse_proc_stat(text("stat-before.txt"))
    assert stat["user"] == 1195556
    assert stat["steal"] == 2601
    assert stat["ctxt"] == 48836722
    assert stat["processes"] == 347937


def test_the_cpu_split_between_two_readings_adds_up_to_the_whole() -> None:
    before = procfs.parse_proc_stat(text("stat-before.txt"))
    after = procfs.parse_proc_stat(text("stat-after.txt"))
    split = procfs.cpu_split(before, after)
    shares = ("user", "system", "irq", "steal", "iowait", "idle")
    assert sum(split[f"{name}_pct"] for name in shares) == pytest.approx(100, abs=0.5)
    delta = {k: after[k] - before[k] for k in procfs.CPU_FIELDS}
    assert split["user_s"] == pytest.approx((delta["user"] + delta["nice"]) / procfs.CLOCK_TICKS)
    assert split["busy_s"] == pytest.approx(
        (sum(delta.values()) - delta["idle"] - delta["iowait"]) / procfs.CLOCK_TICKS, abs=0.01
    )
    assert split["context_switches"] == after["ctxt"] - before["ctxt"] > 0
    assert split["forks"] == after["processes"] - before["processes"]


def test_steal_and_iowait_are_kept_apart_from_busy_time() -> None:
    before = {k: 0 for k in procfs.CPU_FIELDS}
    after = {**before, "user": 50, "system": 10, "steal": 30, "iowait": 5, "idle": 5}
    split = procfs.cpu_split(before, after)
    assert split["steal_pct"] == 30.0
    assert split["iowait_pct"] == 5.0
    assert split["busy_s"] == pytest.approx(90 / procfs.CLOCK_TICKS)


def test_load_average_and_runnable_tasks() -> None:
    load = procfs.parse_loadavg(text("loadavg.txt"))
    assert load == {"load1": 13.49, "load5": 13.59, "load15": 13.21, "runnable": 6, "tasks": 753}


def test_a_threads_switches_and_migrations_come_from_its_sched_file() -> None:
    counters = procfs.counters_from(text("schedstat.txt"), text("sched-kafka-thread.txt"), None)
    assert counters.cpu_s == pytest.approx(5.455783931)
    assert counters.run_delay_s == pytest.approx(1.204558219)
    fields = procfs.parse_sched(text("sched-kafka-thread.txt"))
    assert counters.voluntary == fields["nr_voluntary_switches"] > 0
    assert counters.involuntary == fields["nr_involuntary_switches"] > 0
    assert counters.migrations == fields["se.nr_migrations"] > 0


def test_without_a_sched_file_the_switches_come_from_status_and_migrations_are_zero() -> None:
    counters = procfs.counters_from(text("schedstat.txt"), None, text("status-kafka-thread.txt"))
    assert (counters.voluntary, counters.involuntary, counters.migrations) == (47768, 6522, 0)


def test_a_pools_threads_count_as_one_kind() -> None:
    assert procfs.thread_kind("data-plane-kafka-request-handler-3") == (
        "data-plane-kafka-request-handler-#"
    )
    assert procfs.thread_kind("rdk:broker12") == "rdk:broker#"
    assert procfs.thread_kind("") == "?"


@pytest.mark.parametrize(
    ("cmdline", "role"),
    [
        ("/usr/lib/postgresql/15/bin/postgres\0-D\0/tmp/pg/pgdata\0", "postmaster"),
        ("postgres: checkpointer ", "checkpointer"),
        ("postgres: background writer ", "background writer"),
        ("postgres: walwriter ", "walwriter"),
        ("postgres: autovacuum worker bb12ab34w2", "autovacuum worker"),
        ("postgres: autovacuum launcher ", "autovacuum launcher"),
        ("postgres: postgres bb12ab34w2 127.0.0.1(51234) COPY", "backend"),
        ("postgres: postgres bb12ab34w2 127.0.0.1(51236) idle", "backend"),
    ],
)
def test_a_postgres_process_is_named_by_its_role(cmdline: str, role: str) -> None:
    assert procfs.postgres_role(cmdline) == role


def test_a_process_name_with_spaces_and_parentheses_is_read_whole() -> None:
    fields = " ".join(["S"] + ["0"] * 10 + ["150", "50"] + ["0"] * 6 + ["777"] + ["0"] * 10)
    name, ticks, started = procfs.parse_pid_stat(f"42 (Web (Content) 1) {fields}")
    assert (name, ticks, started) == ("Web (Content) 1", 200.0, 777)


def test_other_processes_cpu_is_summed_by_name_and_ours_are_left_out() -> None:
    before = {
        1: ("java", 10.0, 100),
        2: ("python", 5.0, 100),
        3: ("python", 1.0, 100),
        9: ("bulkflow", 3.0, 100),
        5: ("old", 40.0, 100),
    }
    after = {
        1: ("java", 14.0, 100),
        2: ("python", 6.0, 100),
        3: ("python", 2.5, 100),
        9: ("bulkflow", 30.0, 100),
        7: ("chromium", 0.5, 900),  # born in the window: counts from zero
        8: ("idle", 0.0, 100),
        5: ("reused", 0.25, 950),  # another process under an old pid: from zero too
    }
    top = procfs.others_cpu(before, after, ours={9})
    assert top == [
        ["java", 4.0, 1],
        ["python", 2.5, 2],
        ["chromium", 0.5, 1],
        ["reused", 0.25, 1],
    ]


def test_a_kernel_worker_that_renamed_itself_counts_only_the_window() -> None:
    # kworkers show the work queue they serve in their name, which changes under load
    before = {30: ("kworker/u8:1-events_unbound", 120.0, 5)}
    after = {30: ("kworker/u8:1-writeback", 121.5, 5)}
    assert procfs.others_cpu(before, after, ours=set()) == [["kworker/u8:1-writeback", 1.5, 1]]


def test_minor_faults_are_the_tenth_field_of_stat_even_with_spaces_in_the_name() -> None:
    stat = "4242 (python (chunk pool)) S 1 4242 4242 0 -1 4194560 183307 0 12 0 1650 210 0 0 20 0"
    assert procfs.minor_faults(stat) == 183307
    with open("/proc/self/stat") as f:
        assert procfs.minor_faults(f.read()) > 0
