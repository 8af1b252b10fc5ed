"""The replay plan: what a selection names, what the ledger already holds, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops.replay_plan import (
    ChunkRef,
    JobFacts,
    Selection,
    build_plan,
    expired,
    parse_time,
    refusals,
)

T0 = datetime(2025, 1, 31, 18, 0, tzinfo=UTC)


def ref(job: str, no: int, offset: int, minute: int = 0, tenant: str = "acme") -> ChunkRef:
    ms = int((T0 + timedelta(minutes=minute)).timestamp() * 1000)
    return ChunkRef("high", 0, offset, ms, job, no, 100, tenant, "orders")


def test_a_chunk_on_the_topic_twice_is_replayed_once_and_saved_ones_are_skipped() -> None:
    found = [ref("j1", 0, 1), ref("j1", 1, 2), ref("j1", 0, 9, minute=5), ref("j2", 0, 3)]
    plan = build_plan(Selection(jobs=("j1",)), found, {}, in_ledger=[("j1", 1)])
    assert [(c.chunk_no, c.offset) for c in plan.chunks] == [(0, 9), (1, 2)]
    assert plan.to_write == {("j1", 0)}
    assert [(j.job_id, j.chunks, j.rows, j.to_write) for j in plan.jobs] == [("j1", 2, 200, 1)]


def test_a_time_window_selects_records_by_time() -> None:
    found = [ref("j1", 0, 1, minute=0), ref("j2", 0, 2, minute=30), ref("j3", 0, 3, minute=90)]
    window = Selection(since=T0 + timedelta(minutes=10), until=T0 + timedelta(hours=1))
    assert [c.job_id for c in build_plan(window, found, {}, []).chunks] == ["j2"]


def test_chunks_gone_with_retention_are_reported() -> None:
    facts = {"j1": JobFacts("j1", "acme", "orders", "completed", 3)}
    plan = build_plan(Selection(jobs=("j1",)), [ref("j1", 2, 5)], facts, [])
    assert plan.gone == {"j1": [0, 1]}


def test_every_gone_chunk_of_a_window_or_dataset_is_reported() -> None:
    def facts(job: str, total: int, minute: int, dataset: str = "orders") -> JobFacts:
        at = T0 + timedelta(minutes=minute)
        return JobFacts(job, "acme", dataset, "completed", total, "high", at)

    jobs = {
        "partly": facts("partly", 3, 20),  # chunk 0 expired, 1 and 2 still there
        "wholly": facts("wholly", 2, 15),  # every chunk expired
        "before": facts("before", 2, -30),  # submitted before the window: not all in it
        "other": facts("other", 1, 20, dataset="invoices"),
    }
    found = [ref("partly", 1, 7, minute=21), ref("partly", 2, 8, minute=21)]
    window = Selection(since=T0 + timedelta(minutes=10), dataset="orders")
    assert build_plan(window, found, jobs, []).gone == {"partly": [0], "wholly": [0, 1]}
    by_dataset = build_plan(Selection(dataset="orders"), found, jobs, []).gone
    assert by_dataset == {"partly": [0], "wholly": [0, 1], "before": [0, 1]}


def test_planned_chunks_before_the_earliest_offset_are_expired() -> None:
    planned = [ref("j1", 0, 4), ref("j1", 1, 5), ref("j1", 2, 6)]
    assert [c.chunk_no for c in expired(planned, {("high", 0): 6})] == [0, 1]
    assert expired(planned, {("low", 0): 100}) == []


def test_unknown_jobs_datasets_and_other_tenants_are_refused() -> None:
    facts = {"j1": JobFacts("j1", "acme", "orders", "completed", 1)}
    assert refusals(Selection(jobs=("j1",)), [], facts, ["orders"]) == []
    assert "unknown job" in refusals(Selection(jobs=("nope",)), [], facts, ["orders"])[0]
    assert (
        "not tenant" in refusals(Selection(jobs=("j1",), tenant="globex"), [], facts, ["orders"])[0]
    )
    assert "unknown dataset" in refusals(Selection(dataset="nope"), [], facts, ["orders"])[0]
    assert "say what to replay" in refusals(Selection(), [], facts, ["orders"])[0]


def test_times_are_iso_or_an_age() -> None:
    assert parse_time("36h", T0) == T0 - timedelta(hours=36)
    assert parse_time("2025-01-30T06:00", T0) == datetime(2025, 1, 30, 6, tzinfo=UTC)
