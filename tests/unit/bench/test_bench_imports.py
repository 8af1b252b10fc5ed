"""Every bench module imports: no pytest run starts most benches, so a name that moves to
another module would break one unseen."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("*.py")))
def test_the_bench_module_imports(name: str) -> None:
    importlib.import_module(f"bench.{name}")
