"""A redrive marks only what Kafka took: a letter whose record was not delivered stays
outstanding, so the next redrive sends it again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from database.dead_letters import list_letters, record_failure
from database.engine import make_engine
from database.migrations import ensure_schema
from ops.dlq import Record, send_letters


class FlakyProducer:
    """Delivers every record except those for ``refused`` topics, like a broker would
    report through delivery callbacks on flush."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.pending: list[tuple[str, Callable[[Any, Any], None]]] = []
        self.sent: list[str] = []

    def produce(
        self, topic: str, value: Any = None, key: Any = None, *, headers: Any, on_delivery: Any
    ) -> None:
        self.pending.append((topic, on_delivery))

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = 0) -> int:
        for topic, on_delivery in self.pending:
            if topic in self.refused:
                on_delivery(FakeError("Broker: Unknown topic or partition"), None)
            else:
                self.sent.append(topic)
                on_delivery(None, None)
        self.pending.clear()
        return 0


class FakeError:
    def __init__(self, text: str) -> None:
        self.text = text

    def str(self) -> str:
        return self.text


def test_only_delivered_letters_are_marked_redriven(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    for chunk_no, topic in ((0, "chunks.high"), (1, "chunks.gone")):
        record_failure(
            engine,
            job_id="j1",
            chunk_no=chunk_no,
            tenant="acme",
            dataset="orders",
            source_topic=topic,
            reason="unknown dataset",
        )
    letters = list_letters(engine)
    records: dict[tuple[str, int], Record] = {
        ("j1", d.chunk_no): (d.source_topic or "", b"j1", b"payload", []) for d in letters
    }
    producer = FlakyProducer(refused={"chunks.gone"})

    failed = send_letters(engine, producer, letters, records)

    assert failed == {("j1", 1): "Broker: Unknown topic or partition"}
    assert producer.sent == ["chunks.high"]
    states = {d.chunk_no: (d.state, d.attempts) for d in list_letters(engine, include_all=True)}
    assert states == {0: ("redriven", 1), 1: ("outstanding", 1)}
    assert [d.chunk_no for d in list_letters(engine)] == [1]  # what a second redrive sends
    engine.dispose()


def test_a_letter_never_reported_stays_outstanding(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    record_failure(
        engine,
        job_id="j2",
        chunk_no=3,
        tenant="acme",
        dataset="orders",
        source_topic="chunks.low",
        reason="boom",
    )
    letters = list_letters(engine)

    class SilentProducer(FlakyProducer):
        def flush(self, timeout: float = 0) -> int:
            return len(self.pending)  # still queued when the flush timed out

    failed = send_letters(
        engine, SilentProducer(set()), letters, {("j2", 3): ("chunks.low", None, b"x", [])}, 0.1
    )
    assert list(failed) == [("j2", 3)] and "not delivered" in failed[("j2", 3)]
    assert [(d.state, d.chunk_no) for d in list_letters(engine)] == [("outstanding", 3)]
    engine.dispose()
