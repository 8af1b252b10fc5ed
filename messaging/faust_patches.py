"""Every reach into faust-streaming and aiokafka internals, in one place.

They are written against the pinned versions only; ``apply_faust_patches`` checks the
installed versions first and refuses to run on others, because a patch silently not
matching the code it patches loses records (see docs/decisions.md).

Nothing is patched at import time: every bulkflow faust app calls ``apply_faust_patches``
when it is built (stream_processors/faust_common.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

# the versions these patches were written and tested against: keep equal to the pins in
# pyproject.toml (a unit test compares them)
PINNED_VERSIONS = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0"}


def _installed_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def check_versions(installed: Callable[[str], str] | None = None) -> None:
    """Raise RuntimeError unless faust-streaming and aiokafka are the pinned versions."""
    version_of = installed or _installed_version
    found = {package: version_of(package) for package in PINNED_VERSIONS}
    if found == PINNED_VERSIONS:
        return
    pinned = ", ".join(f"{p} {v}" for p, v in PINNED_VERSIONS.items())
    actual = ", ".join(f"{p} {v}" for p, v in found.items())
    raise RuntimeError(
        f"bulkflow patches faust/aiokafka internals written for {pinned}, but found {actual}. "
        "Install the pinned versions (pip install -e . from the repository), or, to upgrade, "
        "check each patch in messaging/faust_patches.py against the new code (and run "
        "tests/unit/messaging/test_commit_guard.py and tests/integration/test_rebalance_seek.py), "
        "then update PINNED_VERSIONS there and the pins in pyproject.toml."
    )


def apply_faust_patches() -> None:
    """Check the versions, then install every patch (idempotent)."""
    check_versions()
    install_commit_guard()
    install_seek_fix()
    install_partition_check_fix()


def install_commit_guard() -> None:
    """Never commit an offset past a record that is still being processed.

    faust-streaming 0.15 commits the longest run of acked offsets, and only holds back when
    that run starts more than one past the committed offset (and not at all before the
    first commit). With agent concurrency, a slow chunk at the head of a partition was
    skipped: its successors were acked and committed, and a worker killed then (SIGKILL)
    never saved it (faust-streaming issue #606). Here the run must start below every record
    still in flight on the partition.
    """
    from faust.transport.consumer import Consumer
    from faust.types.tuples import ack_lock

    original = Consumer._new_offset
    if getattr(original, "bulkflow_guard", False):
        return

    def _new_offset(self: Consumer, tp: Any) -> int | None:
        with ack_lock:
            acked = self._acked[tp]
            unacked = list(self._unacked_messages)
            in_flight = [m.offset for m in unacked if m.tp == tp and not m.acked]
            if acked and in_flight and min(in_flight) < min(acked):
                return None
            return original(self, tp)

    _new_offset.bulkflow_guard = True  # type: ignore[attr-defined]
    Consumer._new_offset = _new_offset  # type: ignore[method-assign]


def install_seek_fix() -> None:
    """After a rebalance, read again what faust dropped from partitions never committed.

    On a rebalance faust clears every buffered record of every partition, then seeks each
    assigned partition back to its committed offset so that those records are fetched
    again. aiokafka's ``seek_to_committed`` only seeks when that offset is above 0, so a
    partition that had no commit yet keeps its fetch position past the dropped records, and
    faust, which does not look for a gap before a partition's first commit, commits over
    them: a chunk is lost when a second worker joins the group early in a job, and the job
    never completes. Such partitions go back to their first offset, which is where a
    consumer without a commit starts under ``auto_offset_reset=earliest``.
    """
    from aiokafka import AIOKafkaConsumer

    original = AIOKafkaConsumer.seek_to_committed
    if getattr(original, "bulkflow_fix", False):
        return

    async def seek_to_committed(self: AIOKafkaConsumer, *partitions: Any) -> dict[Any, Any]:
        committed: dict[Any, Any] = await original(self, *partitions)
        if self._auto_offset_reset == "earliest":
            never = [tp for tp, offset in committed.items() if not offset]
            if never:
                await self.seek_to_beginning(*never)
        return committed

    seek_to_committed.bulkflow_fix = True  # type: ignore[attr-defined]
    AIOKafkaConsumer.seek_to_committed = seek_to_committed


def install_partition_check_fix() -> None:
    """Compare a table's source and changelog partitions only once both are known.

    faust checks, at a table's first event, that its changelog has as many partitions as the
    source topic, and takes aiokafka's metadata as it is: a changelog whose metadata came
    without its partitions yet (0, seen on a busy machine at start) raised
    PartitionsMismatch, which killed the aggregator's agent while its process lived on, and
    every job stalled. A count of 0 now means "not known yet": the next event checks again.
    A real mismatch still raises.
    """
    from faust.tables.base import Collection

    original = Collection._verify_source_topic_partitions
    if getattr(original, "bulkflow_fix", False):
        return

    def _verify_source_topic_partitions(self: Collection, source_topic: str) -> None:
        consumer = self.app.consumer
        counts = (
            consumer.topic_partitions(source_topic),
            consumer.topic_partitions(self.changelog_topic_name),
        )
        if 0 in counts:
            return
        original(self, source_topic)

    _verify_source_topic_partitions.bulkflow_fix = True  # type: ignore[attr-defined]
    Collection._verify_source_topic_partitions = _verify_source_topic_partitions  # type: ignore[method-assign]


@contextmanager
def as_current_event(event: Any) -> Iterator[None]:
    """A table write goes to the changelog partition of faust's "current event", which faust
    sets per record only: point it at the job's own (co-partitioned) record for the write.

    Only the context variable of this task is set. Stream.current_event must stay as is:
    take_events' buffer reads it to pair each value with its event (setting it lost
    records under load)."""
    from faust.streams import _current_event  # faust-streaming 0.15 internals

    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class _Position:
    """Just what faust reads of the current event to place a table write: its topic and
    partition (an object, so that faust's weak reference to it holds)."""

    def __init__(self, topic: str, partition: int) -> None:
        self.message = self
        self.topic = topic
        self.partition = partition


@contextmanager
def at_partition(topic: str, partition: int) -> Iterator[None]:
    """A table write outside any record (a timer letting a key go) sent to the changelog
    partition of ``topic``'s ``partition``, as if a record of it were being processed."""
    position = _Position(topic, partition)
    with as_current_event(position):
        yield


def silence_worker_spinner(worker: Any) -> None:
    """faust keeps its terminal spinner at WARN and above, and for it sets the root logger to
    DEBUG, so every aiokafka debug record is built and then dropped: a large share of a
    worker's CPU. Without the spinner the root logger keeps its level."""
    worker.spinner = None
