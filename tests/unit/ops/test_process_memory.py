"""The long-running processes keep the memory they free (ops/process_memory.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from ops.process_memory import OPERATOR_CHOICE, use_pooling_allocator

ROOT = Path(__file__).resolve().parents[3]

# In a fresh interpreter: free 100 MB of 50 KB blocks (glibc's heap), then ask for as much
# again: the page faults of the second round say whether the first round's pages were kept.
_ROUNDS = """
import resource, sys
if sys.argv[1] == "keep":
    from ops.process_memory import keep_freed_memory
    keep_freed_memory()

def heap_round():
    blocks = [bytearray(50_000) for _ in range(2_000)]
    del blocks

heap_round()
began = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
heap_round()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - began)
"""


def _second_round_faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _ROUNDS, mode],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_freed_heap_serves_the_next_round_without_page_faults() -> None:
    # 100 MB is about 24,000 pages of 4 KiB: glibc's defaults give them back and fault
    # them in again, the process's settings keep them
    assert _second_round_faults("keep") < 2_000
    assert _second_round_faults("default") > 10_000


@pytest.fixture()
def _restore_pool() -> Iterator[None]:
    before = pa.default_memory_pool()
    yield
    pa.set_memory_pool(before)


@pytest.mark.usefixtures("_restore_pool")
def test_the_pool_that_keeps_its_pages_becomes_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(OPERATOR_CHOICE, raising=False)
    chosen = use_pooling_allocator()
    assert chosen in ("jemalloc", "mimalloc")
    assert pa.default_memory_pool().backend_name == chosen
    # Arrow allocations now come from it
    assert pa.array(range(1000)).to_pylist()[-1] == 999


@pytest.mark.usefixtures("_restore_pool")
def test_an_operators_choice_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPERATOR_CHOICE, "system")
    before = pa.default_memory_pool().backend_name
    assert use_pooling_allocator() == before
    assert pa.default_memory_pool().backend_name == before
