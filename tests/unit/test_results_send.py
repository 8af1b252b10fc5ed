"""The workers' results records: one that Kafka does not take is an error, never a silent loss."""

from __future__ import annotations

import time

import pytest

from messaging.publisher import Publisher, PublishError
from ops.devservers.broker import free_port
from schemas.settings import load_settings
from stream_processors.agents import send_results
from stream_processors.result_records import ResultRecord


def test_records_no_broker_takes_raise_within_the_timeout() -> None:
    nobody = f"127.0.0.1:{free_port()}"  # a port nothing listens on
    publisher = Publisher(load_settings(kafka_bootstrap=nobody))
    record = ResultRecord(key=b"job:0", value=b"x" * 1000, headers=[("job_id", b"job")])
    began = time.monotonic()
    with pytest.raises(PublishError, match="1 records not delivered within 1s"):
        send_results(publisher, "acme.results.orders", [record], timeout_s=1.0)
    assert time.monotonic() - began < 5
