"""Taking records from a confluent-kafka Consumer without waiting on records that are not
there: ``Consumer.consume(n, timeout)`` returns once it holds all ``n`` records or the
timeout has passed, so asking for a batch held a lone record for the whole timeout (an
idle producer's upload half a second, a fetched file's last part a second)."""

from __future__ import annotations

from confluent_kafka import Consumer, Message


def consume_ready(consumer: Consumer, most: int, timeout_s: float) -> list[Message]:
    """Up to ``most`` records (or events): waits up to ``timeout_s`` seconds for the first,
    then takes what else is already fetched, without waiting."""
    first = consumer.consume(num_messages=1, timeout=timeout_s)
    if not first or most <= 1:
        return first
    return first + consumer.consume(num_messages=most - 1, timeout=0)
