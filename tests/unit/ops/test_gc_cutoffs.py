"""`bulkflow gc`'s cut-offs: per dataset for row errors and dead letters; ledger rows only
once no topic can replay their chunk, and none when Kafka cannot tell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from messaging.replay_horizon import ReplayHorizon
from ops.gc import CLOCK_MARGIN, plan_cutoffs
from schemas.dataset import parse_dataset
from schemas.settings import load_settings

NOW = datetime(2026, 3, 1, tzinfo=UTC)
COLUMNS = [{"name": "order_id", "type": "integer"}]


def test_cutoffs_follow_each_dataset_and_the_replay_horizon() -> None:
    orders = parse_dataset({"name": "orders", "columns": COLUMNS})
    audit = parse_dataset(
        {
            "name": "audit",
            "columns": COLUMNS,
            "retention": {"row_errors_days": 365, "dead_letters_days": 90},
        }
    )
    settings = load_settings(ledger_retention_days=35, idempotency_ttl_s=3600)
    ten_days_ago = NOW - timedelta(days=10)
    horizon = ReplayHorizon(int(ten_days_ago.timestamp() * 1000), True, 12)
    cut = plan_cutoffs(NOW, [orders, audit], settings, horizon)
    assert cut.row_errors == {
        "orders": NOW - timedelta(days=30),
        "audit": NOW - timedelta(days=365),
    }
    assert cut.dead_letters["audit"] == NOW - timedelta(days=90)
    assert cut.ledger == NOW - timedelta(days=35)  # the floor is older than the horizon
    assert cut.idempotency == NOW - timedelta(hours=1)

    # a chunk topic whose retention was raised to 60 days keeps its ledger rows longer
    long_kept = ReplayHorizon(int((NOW - timedelta(days=60)).timestamp() * 1000), True, 12)
    cut = plan_cutoffs(NOW, [orders], settings, long_kept)
    assert cut.ledger == NOW - timedelta(days=60) - CLOCK_MARGIN

    # a short floor never cuts into what the topics still hold
    short = load_settings(ledger_retention_days=0.001)
    assert plan_cutoffs(NOW, [orders], short, horizon).ledger == ten_days_ago - CLOCK_MARGIN
    assert plan_cutoffs(NOW, [orders], short, ReplayHorizon(None, True, 0)).ledger is not None

    unknown = plan_cutoffs(NOW, [orders], settings, ReplayHorizon(None, False, 0, "timeout"))
    assert unknown.ledger is None and "timeout" in unknown.ledger_note
