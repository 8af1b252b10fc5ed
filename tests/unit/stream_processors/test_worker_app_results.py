"""The workers' results records: one that Kafka does not take is an error, never a silent loss."""

from __future__ import annotations

import time

import pytest

from messaging.publisher import Publisher, PublishError
from ops.devservers.broker import free_port
from schemas.settings import load_settings
from stream_processors.chunk_routing import RoutedRecord
from stream_processors.worker_app import send_results


def test_records_no_broker_takes_raise_within_the_timeout() -> None:
    nobody = f"127.0.0.1:{free_port()}"  # a port nothing listens on
    # the client gives the record up soon after the test, so closing it does not wait long;
    # closed even when an assertion fails: left open, it calls the port until the tests end
    settings = load_settings(kafka_bootstrap=nobody)
    with Publisher(settings, **{"delivery.timeout.ms": 2000}) as publisher:
        record = RoutedRecord("acme.results.orders", b"job:0", b"x" * 1000, [("job_id", b"job")])
        began = time.monotonic()
        with pytest.raises(PublishError, match="1 records not delivered within 1s"):
            send_results(publisher, [record], timeout_s=1.0)
        assert time.monotonic() - began < 5
