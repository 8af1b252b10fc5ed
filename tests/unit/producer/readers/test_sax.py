"""The expat set-up the producer parses XML with (producer/readers/sax.py)."""

from __future__ import annotations

import pytest

from producer.readers.sax import new_parser
from schemas.errors import ParseError


def test_the_parser_refuses_a_dtd() -> None:
    parser = new_parser()
    with pytest.raises(ParseError, match="entity declarations"):
        parser.Parse(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', True)
