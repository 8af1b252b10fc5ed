"""The modules the producer imports at start exist, and a missing one does not
stop a process from starting."""

from __future__ import annotations

import importlib.util
import logging
import sys

import pytest

from producer.warm_imports import PRODUCER_MODULES, warm_imports


@pytest.mark.parametrize("name", sorted(PRODUCER_MODULES))
def test_every_module_warmed_at_start_exists(name: str) -> None:
    # a reader moved without this list following would only be logged at start
    assert importlib.util.find_spec(name) is not None


def test_warming_imports_the_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "json.tool", raising=False)  # one nothing else uses
    warm_imports(("json.tool",))
    assert "json.tool" in sys.modules


def test_a_module_that_is_gone_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="producer.warm_imports"):
        warm_imports(("producer.readers.no_such_reader",))
    assert "not imported at start" in caplog.text
    assert "producer.readers.no_such_reader" in caplog.text
