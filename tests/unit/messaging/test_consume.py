"""consume_ready: waits for the first record only, then takes what is already there."""

from __future__ import annotations

from typing import Any

from messaging.consume import consume_ready


class FetchQueue:
    """A consumer's fetched records, as consume() hands them out (never more than asked)."""

    def __init__(self, records: list[str]) -> None:
        self.records = records
        self.asked: list[tuple[int, float]] = []

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        self.asked.append((num_messages, timeout))
        taken, self.records = self.records[:num_messages], self.records[num_messages:]
        return taken


def test_only_the_first_record_is_waited_for() -> None:
    queue = FetchQueue(["a", "b", "c"])
    assert consume_ready(queue, 8, 1.0) == ["a", "b", "c"]  # type: ignore[arg-type]
    # consume(8, 1.0) would have held these three for the whole second
    assert queue.asked == [(1, 1.0), (7, 0)]


def test_nothing_there_is_one_wait_and_at_most_the_batch_is_taken() -> None:
    empty = FetchQueue([])
    assert consume_ready(empty, 50, 0.5) == []  # type: ignore[arg-type]
    assert empty.asked == [(1, 0.5)]
    full = FetchQueue([str(n) for n in range(10)])
    assert consume_ready(full, 4, 0.0) == ["0", "1", "2", "3"]  # type: ignore[arg-type]
    assert consume_ready(full, 1, 0.0) == ["4"]  # type: ignore[arg-type]
