"""A job's last event waits for its chunks' delivery reports, not for a flush; an upload's
offset is committed only for a run of done uploads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from messaging.publisher import Publisher, PublishError
from producer.offsets import DoneOffsets
from schemas.settings import load_settings


class _Message:
    def __init__(self, topic: str, value: bytes | None) -> None:
        self._topic, self._value = topic, value

    def topic(self) -> str:
        return self._topic

    def value(self) -> bytes | None:
        return self._value


class _Error:
    def str(self) -> str:
        return "Broker: Message too large"


class FakeProducer:
    """confluent-kafka's Producer as far as Publisher uses it: the broker answers what was
    sent when ``ack()`` says so, and the reports come back on the next poll."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None]] = []
        self.unreported: list[tuple[_Message, Callable[..., None]]] = []
        self.answered = 0  # how many of the unreported the broker has answered
        self.fail_values: set[bytes] = set()

    def produce(self, topic: str, value: bytes | None, on_delivery: Any, **_: Any) -> None:
        self.sent.append((topic, value))
        self.unreported.append((_Message(topic, value), on_delivery))

    def ack(self) -> None:
        self.answered = len(self.unreported)

    def poll(self, _timeout: float = 0) -> int:
        reports = self.unreported[: self.answered]
        self.unreported, self.answered = self.unreported[self.answered :], 0
        for msg, callback in reports:
            callback(_Error() if msg.value() in self.fail_values else None, msg)
        return len(reports)

    def flush(self, _timeout: float = 0) -> int:
        while self.unreported:
            self.ack()
            self.poll()
        return 0

    def __len__(self) -> int:
        return len(self.unreported)


def _publisher() -> tuple[Publisher, FakeProducer]:
    publisher = Publisher(load_settings())
    fake = FakeProducer()
    publisher._producer = fake  # type: ignore[assignment]
    return publisher, fake


def test_the_seal_is_produced_once_every_chunk_is_acknowledged() -> None:
    publisher, fake = _publisher()
    publisher.produce("jobs", b"registered", b"k", tag="job")
    publisher.produce("chunks", b"chunk-1", b"k", tag="job")
    fake.ack()  # the broker has both, their reports are not in yet
    publisher.produce("chunks", b"chunk-2", b"k", tag="job")
    publisher.after_delivered("job", lambda: publisher.produce("jobs", b"sealed", tag="job"))
    assert [v for _, v in fake.sent] == [b"registered", b"chunk-1", b"chunk-2"]
    fake.ack()
    publisher.poll()  # every report in: now the seal goes out
    assert [v for _, v in fake.sent] == [b"registered", b"chunk-1", b"chunk-2", b"sealed"]


def test_actions_run_in_order_each_after_what_the_one_before_produced() -> None:
    publisher, fake = _publisher()
    done: list[str] = []
    publisher.produce("chunks", b"chunk-1", tag="job")
    publisher.after_delivered("job", lambda: publisher.produce("jobs", b"sealed", tag="job"))
    publisher.after_delivered("job", lambda: done.append("commit"))
    fake.ack()
    publisher.poll()  # the chunk's report: the seal is produced, the commit waits for it
    assert done == [] and fake.sent[-1] == ("jobs", b"sealed")
    fake.ack()
    publisher.poll()
    assert done == ["commit"]
    assert publisher.waiting_actions == 0


def test_a_lost_chunk_means_no_seal_and_an_error() -> None:
    publisher, fake = _publisher()
    fake.fail_values.add(b"chunk-1")
    publisher.produce("chunks", b"chunk-1", tag="job")
    publisher.after_delivered("job", lambda: publisher.produce("jobs", b"sealed", tag="job"))
    fake.ack()
    publisher.client.poll(0)
    with pytest.raises(PublishError, match="1 records failed: chunks: Broker: Message too large"):
        publisher.flush()
    assert b"sealed" not in [v for _, v in fake.sent]
    publisher.flush()
    assert publisher.waiting_actions == 0


def test_flush_waits_for_the_actions_and_what_they_produce() -> None:
    publisher, fake = _publisher()
    publisher.produce("chunks", b"chunk-1", tag="job")
    publisher.after_delivered("job", lambda: publisher.produce("jobs", b"sealed", tag="job"))
    publisher.flush()
    assert fake.sent[-1] == ("jobs", b"sealed") and not fake.unreported


def test_offsets_are_committed_for_a_run_of_done_uploads_only() -> None:
    offsets = DoneOffsets()
    part = ("uploads.low", 0)
    for offset in (5, 6, 7):
        offsets.take(part, offset)
    assert offsets.done(part, 6) is None  # 5 is not sealed yet: committing 7 would skip it
    assert offsets.done(part, 5) == 7
    assert offsets.done(part, 7) == 8
    offsets.take(part, 8)
    offsets.forget({part})
    assert offsets.done(part, 8) is None
