"""The offset-commit guard over faust's consumer: never commit past a record in flight."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.transport.consumer import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from messaging.faust_patches import apply_faust_patches

TOPIC = TP("chunks.low", 0)
apply_faust_patches()  # what every bulkflow faust app does when it is built


def consumer(acked: list[int], in_flight: list[int], committed: int | None = None) -> Any:
    messages = [SimpleNamespace(tp=TOPIC, offset=o, acked=False) for o in in_flight]
    return SimpleNamespace(
        _acked=defaultdict(list, {TOPIC: sorted(acked)}),
        _acked_index=defaultdict(set, {TOPIC: set(acked)}),
        _gap=defaultdict(IntervalTree),
        _committed_offset=defaultdict(lambda: committed),
        _unacked_messages=messages,
    )


def test_a_slow_first_record_holds_the_commit_back() -> None:
    # offset 0 is still being processed while 1-3 are done: committing 4 would lose it
    # after a crash; faust 0.15 did so before any commit and one past the committed offset
    assert Consumer._new_offset(consumer([1, 2, 3], in_flight=[0]), TOPIC) is None
    assert Consumer._new_offset(consumer([6, 7], in_flight=[5], committed=5), TOPIC) is None


def test_the_run_before_a_record_in_flight_is_committed() -> None:
    assert Consumer._new_offset(consumer([0, 1, 2, 4, 5], in_flight=[3]), TOPIC) == 3
    assert Consumer._new_offset(consumer([0, 1, 2], in_flight=[]), TOPIC) == 3
