"""The producer: stream-parse spooled uploads into row-chunk records on priority topics."""
