"""The long-running processes' Arrow memory pool."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from ops.arrow_memory import OPERATOR_CHOICE, use_pooling_allocator


@pytest.fixture(autouse=True)
def _restore_pool() -> Iterator[None]:
    before = pa.default_memory_pool()
    yield
    pa.set_memory_pool(before)


def test_the_pool_that_keeps_its_pages_becomes_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(OPERATOR_CHOICE, raising=False)
    chosen = use_pooling_allocator()
    assert chosen in ("jemalloc", "mimalloc")
    assert pa.default_memory_pool().backend_name == chosen
    # Arrow allocations now come from it
    assert pa.array(range(1000)).to_pylist()[-1] == 999


def test_an_operators_choice_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPERATOR_CHOICE, "system")
    before = pa.default_memory_pool().backend_name
    assert use_pooling_allocator() == before
    assert pa.default_memory_pool().backend_name == before
