"""Higher tiers first, with aging so the lowest tier is never starved."""

from __future__ import annotations

from collections import deque

from producer.service import AGING_S, _Pending, pick_tier


def _queues(**arrivals: list[float]) -> dict[str, deque[_Pending]]:
    queues: dict[str, deque[_Pending]] = {t: deque() for t in ("high", "medium", "low")}
    for tier, times in arrivals.items():
        queues[tier].extend(_Pending(t, None) for t in times)  # type: ignore[arg-type]
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
        queues["high"].append(_Pending(now, None))  # type: ignore[arg-type]
        tier = pick_tier(queues, now)
        assert tier is not None
        queues[tier].popleft()
        served.append(tier)
        now += 1.0  # each upload takes a second to parse
    assert len(served) <= 2 * AGING_S + 2
