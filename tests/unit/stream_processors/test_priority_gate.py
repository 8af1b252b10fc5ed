"""The worker's priority gate: a free slot goes to the most urgent waiter (the high tier),
and a SQLite worker's chunk writes take their turn through it."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from database import chunk_store
from ops.devservers.sample_data import write_orders_csv
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir
from stream_processors import chunk_handler
from stream_processors.chunk_handler import ChunkHandler
from stream_processors.priority_gate import PriorityGate
from tests.support.chunk_records import Chunk, orders_file_chunks
from tests.support.waiting import wait_until

WAIT_S = 10.0


def _waiters(gate: PriorityGate, count: int) -> None:
    wait_until(lambda: gate.waiting == count, f"{count} waiters at the gate", WAIT_S, every_s=0.005)


def _queue_behind(
    gate: PriorityGate, work: list[tuple[str, int]], served: list[str]
) -> list[threading.Thread]:
    """Start one thread per (name, priority), each waiting on the gate in turn."""
    threads = []
    for name, priority in work:

        def take(name: str = name, priority: int = priority) -> None:
            with gate.slot(priority):
                served.append(name)

        thread = threading.Thread(target=take, daemon=True)
        thread.start()
        threads.append(thread)
        _waiters(gate, len(threads))
    return threads


def test_a_free_slot_goes_to_the_highest_tier_then_the_earliest() -> None:
    gate = PriorityGate(1)
    gate.acquire()
    served: list[str] = []
    threads = _queue_behind(
        gate, [("low-1", 2), ("medium", 1), ("low-2", 2), ("high-1", 0), ("high-2", 0)], served
    )
    gate.release()
    for thread in threads:
        thread.join(WAIT_S)
    assert served == ["high-1", "high-2", "medium", "low-1", "low-2"]


def test_several_slots_let_several_in_at_once() -> None:
    gate = PriorityGate(2)
    gate.acquire(2)
    gate.acquire(2)
    served: list[str] = []
    threads = _queue_behind(gate, [("low", 2), ("high", 0)], served)
    gate.release()
    gate.release()
    for thread in threads:
        thread.join(WAIT_S)
    assert sorted(served) == ["high", "low"]
    assert gate.waiting == 0


def test_a_gate_needs_a_slot_and_a_holder_to_release() -> None:
    with pytest.raises(ValueError):
        PriorityGate(0)
    with pytest.raises(RuntimeError):
        PriorityGate(1).release()


def orders_chunk(folder: Path, job_id: str, rows: int) -> Chunk:
    path = write_orders_csv(folder / f"{job_id}.csv", rows)
    return orders_file_chunks(path, job_id)[0]


def _sqlite_handler(folder: Path) -> tuple[ChunkHandler, PriorityGate]:
    """A ready SQLite chunk handler and its write gate."""
    handler = ChunkHandler(
        f"sqlite:///{folder / 'rows.db'}", DatasetRegistry(packaged_datasets_dir())
    )
    handler.prepare()
    assert handler.write_gate is not None
    return handler, handler.write_gate


def test_a_sqlite_worker_saves_a_waiting_high_tier_chunk_before_a_low_tier_one(
    tmp_path: Path,
) -> None:
    handler, gate = _sqlite_handler(tmp_path)
    low, high = orders_chunk(tmp_path, "big-job", 3_000), orders_chunk(tmp_path, "small-job", 200)
    saved: list[tuple[str, int]] = []

    def handle(chunk: Chunk, priority: int) -> None:
        output = handler.handle(*chunk, priority=priority)
        saved.append((output.job_id, output.chunk_result.rows_ok + output.chunk_result.rows_failed))

    gate.acquire()  # a write in progress
    try:
        workers = [threading.Thread(target=handle, args=(low, 2), daemon=True)]
        workers[0].start()
        _waiters(gate, 1)  # the low-tier chunk
        workers.append(threading.Thread(target=handle, args=(high, 0), daemon=True))
        workers[1].start()
        _waiters(gate, 2)  # and the high-tier one, behind it
    finally:
        gate.release()
    for worker in workers:
        worker.join(WAIT_S)
    handler.close()
    assert sorted(saved) == [("big-job", 3_000), ("small-job", 200)]
    # the order of the writes, not of the threads' returns: a thread's work after its write
    # (its result records) may end after the next chunk's write
    with closing(sqlite3.connect(tmp_path / "rows.db")) as db:
        written = [
            job for (job,) in db.execute("SELECT job_id FROM bulkflow_chunk_ledger ORDER BY rowid")
        ]
    assert written == ["small-job", "big-job"]


def test_a_postgresql_worker_has_no_write_gate() -> None:
    handler = ChunkHandler(
        "postgresql://user@127.0.0.1:1/none", DatasetRegistry(packaged_datasets_dir())
    )
    assert handler.write_gate is None
    handler.close()


def test_a_sqlite_chunk_makes_its_rows_ready_before_it_queues_for_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, gate = _sqlite_handler(tmp_path)
    prepared: list[int] = []
    original = chunk_handler.prepare_chunk

    def spy(*args: Any, **kwargs: Any) -> chunk_store.PreparedChunk:
        chunk = original(*args, **kwargs)
        prepared.append(len(chunk.row_values or []))
        return chunk

    monkeypatch.setattr(chunk_handler, "prepare_chunk", spy)
    outputs: list[Any] = []
    gate.acquire()  # another chunk's write in progress
    try:
        worker = threading.Thread(
            target=lambda: outputs.append(handler.handle(*orders_chunk(tmp_path, "job", 300))),
            daemon=True,
        )
        worker.start()
        _waiters(gate, 1)
        assert prepared == [300]  # its driver values were made while the gate was taken
    finally:
        gate.release()
    worker.join(WAIT_S)
    handler.close()
    assert outputs[0].chunk_result.rows_ok == 300
