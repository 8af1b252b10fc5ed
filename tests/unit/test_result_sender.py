"""The workers' results sender: a record Kafka does not take is an error, never a silent loss."""

from __future__ import annotations

import time

import pytest

from ops.devservers.broker import free_port
from schemas.settings import load_settings
from stream_processors.errors import ResultsNotSent
from stream_processors.result_records import ResultRecord
from stream_processors.result_sender import ResultSender


def test_records_no_broker_takes_raise_within_the_timeout() -> None:
    nobody = f"127.0.0.1:{free_port()}"  # a port nothing listens on
    sender = ResultSender(load_settings(kafka_bootstrap=nobody))
    record = ResultRecord(key=b"job:0", value=b"x" * 1000, headers=[("job_id", b"job")])
    began = time.monotonic()
    with pytest.raises(ResultsNotSent, match="1 records not delivered in time"):
        sender.send("acme.results.orders", [record], timeout_s=1.0)
    assert time.monotonic() - began < 5


def test_nothing_to_send_returns_at_once() -> None:
    sender = ResultSender(load_settings(kafka_bootstrap="127.0.0.1:9"))
    sender.send("acme.results.orders", [])
    sender.close()  # no producer was ever made: nothing to flush
