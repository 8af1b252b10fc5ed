"""The routes' dependencies run on the event loop: FastAPI sends a plain ``def`` dependency
to its thread pool, a hop per request that a burst of uploads waits behind."""

from __future__ import annotations

import inspect

import pytest

from api import deps


@pytest.mark.parametrize("name", ["get_state", "get_tenant", "get_view", "get_registry"])
def test_dependency_is_a_coroutine_function(name: str) -> None:
    assert inspect.iscoroutinefunction(getattr(deps, name))
