"""The scheduler's view of a group of processes over a run: CPU, time waiting for a CPU,
context switches and CPU migrations, summed over the group's threads, by kind of thread and
by part (a PostgreSQL process's role). Pure bookkeeping of ``ThreadCounters`` readings
(bench/bulk_procfs.py), fed by the sampler (bench/bulk_sampler.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.bulk_procfs import ThreadCounters

FIELDS = ("cpu_s", "run_delay_s", "voluntary", "involuntary", "migrations")


def _delta(now: ThreadCounters, before: ThreadCounters | None) -> tuple[float, ...]:
    if before is None:
        return (now.cpu_s, now.run_delay_s, now.voluntary, now.involuntary, now.migrations)
    return (
        max(now.cpu_s - before.cpu_s, 0.0),
        max(now.run_delay_s - before.run_delay_s, 0.0),
        max(now.voluntary - before.voluntary, 0),
        max(now.involuntary - before.involuntary, 0),
        max(now.migrations - before.migrations, 0),
    )


@dataclass
class SchedBook:
    """Counters of one group's threads since the window began. A thread seen in the first
    reading is its baseline; a thread first seen later (a new process or thread) counts from
    zero. A thread that ends between two readings loses what it did since the last one."""

    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0.0))
    kinds: dict[str, dict[str, float]] = field(default_factory=dict)
    parts: dict[str, dict[str, float]] = field(default_factory=dict)
    threads_seen: int = 0
    _last: dict[tuple[int, int], ThreadCounters] = field(default_factory=dict)

    def add(
        self,
        pid: int,
        tid: int,
        counters: ThreadCounters,
        *,
        kind: str,
        part: str | None = None,
        baseline: bool = False,
    ) -> None:
        key = (pid, tid)
        before = self._last.get(key)
        self._last[key] = counters
        if before is None:
            self.threads_seen += 1
            if baseline:
                return
        delta = _delta(counters, before)
        for book in (self.totals, self._slot(self.kinds, kind), self._part(part)):
            if book is None:
                continue
            for name, value in zip(FIELDS, delta, strict=True):
                book[name] += value

    @staticmethod
    def _slot(books: dict[str, dict[str, float]], name: str) -> dict[str, float]:
        book = books.get(name)
        if book is None:
            book = books[name] = dict.fromkeys(FIELDS, 0.0)
        return book

    def _part(self, part: str | None) -> dict[str, float] | None:
        return None if part is None else self._slot(self.parts, part)

    def summary(self, top_kinds: int = 8) -> dict[str, Any]:
        """The group's totals, its busiest kinds of thread and its parts, rounded."""
        ranked = sorted(self.kinds.items(), key=lambda kv: -kv[1]["cpu_s"])[:top_kinds]
        return {
            **_rounded(self.totals),
            "threads_seen": self.threads_seen,
            "threads": {kind: _rounded(book) for kind, book in ranked},
            **({"parts": {p: _rounded(b) for p, b in self.parts.items()}} if self.parts else {}),
        }


def _rounded(book: dict[str, float]) -> dict[str, float]:
    return {
        "cpu_s": round(book["cpu_s"], 2),
        "run_delay_s": round(book["run_delay_s"], 2),
        "voluntary": int(book["voluntary"]),
        "involuntary": int(book["involuntary"]),
        "migrations": int(book["migrations"]),
    }
