"""Higher tiers first, with aging so the lowest tier is never starved."""

from __future__ import annotations

from collections import deque

from producer.service import AGING_S, Pending, pick_tier


def _queues(**arrivals: list[float]) -> dict[str, deque[Pending]]:
    queues: dict[str, deque[Pending]] = {t: deque() for t in ("high", "medium", "low")}
    for tier, times in arrivals.items():
        queues[tier].extend(Pending(t, None) for t in times)  # type: ignore[arg-type]
    return queues


def test_nothing_waiting_means_no_tier() -> None:
    assert pick_tier(_queues(), now=100.0) is None


def test_higher_tier_first_when_all_just_arrived() -> None:
    queues = _queues(high=[100.0], medium=[100.0], low=[100.0])
    assert pick_tier(queues, now=100.0) == "high"
    queues["high"].clear()
    assert pick_tier(queues, now=100.0) == "medium"


def test_an_old_low_upload_overtakes_fresh_high_ones() -> None:
    # the low upload has waited two aging steps: it is now as urgent as a fresh high one
    queues = _queues(high=[100.0 + 2 * AGING_S + 1], low=[100.0])
    assert pick_tier(queues, now=100.0 + 2 * AGING_S + 1) == "low"


def test_low_is_never_starved_by_a_steady_stream_of_high() -> None:
    queues = _queues(low=[0.0])
    served = []
    now = 0.0
    while "low" not in served:
        queues["high"].append(Pending(now, None))  # type: ignore[arg-type]
        tier = pick_tier(queues, now)
        assert tier is not None
        queues[tier].popleft()
        served.append(tier)
        now += 1.0  # each upload takes a second to parse
    assert len(served) <= 2 * AGING_S + 2


class _Msg:
    def __init__(self, topic: str) -> None:
        self._topic = topic

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._topic


class _StubConsumer:
    """Just enough of confluent_kafka.Consumer for the producer's fetch loop."""

    def __init__(self, topics: list[str]) -> None:
        from confluent_kafka import TopicPartition

        self.parts = [TopicPartition(t, p) for t in topics for p in range(2)]
        self.paused: set[str] = set()
        self.batch: list[_Msg] = []

    def consume(self, num_messages: int, timeout: float) -> list[_Msg]:
        batch, self.batch = self.batch, []
        return batch

    def assignment(self):  # type: ignore[no-untyped-def]
        return self.parts

    def pause(self, partitions) -> None:  # type: ignore[no-untyped-def]
        self.paused |= {tp.topic for tp in partitions}

    def resume(self, partitions) -> None:  # type: ignore[no-untyped-def]
        self.paused -= {tp.topic for tp in partitions}


def test_a_full_low_tier_pauses_only_itself_so_small_uploads_still_arrive() -> None:
    from producer.service import MAX_BUFFERED_PER_TIER, ProducerService
    from schemas.settings import load_settings

    service = ProducerService(load_settings(topic_prefix="p"))
    low, high = service.names.uploads("low"), service.names.uploads("high")
    consumer = _StubConsumer(list(service.topic_tier))
    consumer.batch = [_Msg(low) for _ in range(MAX_BUFFERED_PER_TIER)]
    service._fill(consumer, 0)  # type: ignore[arg-type]
    assert consumer.paused == {low}  # uploads.high is still fetched
    consumer.batch = [_Msg(high)]
    service._fill(consumer, 0)  # type: ignore[arg-type]
    assert len(service.queues["high"]) == 1
    for _ in range(MAX_BUFFERED_PER_TIER // 2 + 1):
        service.queues["low"].popleft()
    service._fill(consumer, 0)  # type: ignore[arg-type]
    assert consumer.paused == set()
