"""What the Kafka broker did during a measured window of the bulk bench: its garbage
collections (count and pause time, young and full) and the bytes written per topic.

GC counters come from the JVM's performance-data file (``/tmp/hsperfdata_<user>/<pid>``,
the file ``jstat`` reads), parsed here without starting a JVM; bytes per topic from the
sizes of the broker's log segments. The parsers are pure (unit-tested on fixtures).
"""

from __future__ import annotations

import glob
import re
import struct
from pathlib import Path
from typing import Any

_MAGIC = b"\xca\xfe\xc0\xc0"


def parse_hsperfdata(data: bytes) -> dict[str, int | str]:
    """The counters of a HotSpot performance-data file: name -> long or string.
    Layout (HotSpot's perfMemory): a prologue (magic, byte order, versions, used bytes,
    overflow, modification time, offset and count of the entries), then entries of
    (length, name offset, vector length, type, flags, units, variability, data offset)."""
    if data[:4] != _MAGIC:
        raise ValueError("not a HotSpot performance-data file")
    order = "<" if data[4] == 1 else ">"
    entry_offset, entries = struct.unpack_from(order + "ii", data, 24)
    out: dict[str, int | str] = {}
    offset = entry_offset
    for _ in range(entries):
        length, name_at, vector, kind, _flags, _units, _var, data_at = struct.unpack_from(
            order + "iiiBBBBi", data, offset
        )
        if length <= 0:
            break
        name_end = data.index(b"\0", offset + name_at)
        name = data[offset + name_at : name_end].decode("ascii", "replace")
        if kind == ord("J") and vector == 0:
            out[name] = struct.unpack_from(order + "q", data, offset + data_at)[0]
        elif kind == ord("B") and vector > 0:
            raw = data[offset + data_at : offset + data_at + vector]
            out[name] = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        offset += length
    return out


def gc_counters(perf: dict[str, int | str]) -> dict[str, Any]:
    """Each collector's name, collections and pause seconds from the performance counters."""
    frequency = int(perf.get("sun.os.hrt.frequency", 1_000_000_000)) or 1
    collectors: dict[str, Any] = {}
    n = 0
    while f"sun.gc.collector.{n}.invocations" in perf:
        collectors[str(perf.get(f"sun.gc.collector.{n}.name", f"collector {n}"))] = {
            "count": int(perf[f"sun.gc.collector.{n}.invocations"]),
            "time_s": int(perf.get(f"sun.gc.collector.{n}.time", 0)) / frequency,
        }
        n += 1
    return collectors


def read_gc(pid: int | None) -> dict[str, Any] | None:
    """The broker JVM's GC counters now, or ``None`` (no pid, or no performance data)."""
    if pid is None:
        return None
    for path in glob.glob(f"/tmp/hsperfdata_*/{pid}"):
        try:
            return gc_counters(parse_hsperfdata(Path(path).read_bytes()))
        except (OSError, ValueError, struct.error):
            return None
    return None


def gc_difference(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Collections and pause seconds between two readings, by collector and in all."""
    if not before or not after:
        return {}
    out: dict[str, Any] = {}
    for name, now in after.items():
        prev = before.get(name, {"count": 0, "time_s": 0.0})
        out[name] = {
            "count": now["count"] - prev["count"],
            "time_s": round(now["time_s"] - prev["time_s"], 3),
        }
    out["total"] = {
        "count": sum(v["count"] for v in out.values()),
        "time_s": round(sum(v["time_s"] for v in out.values()), 3),
    }
    return out


_PARTITION_DIR = re.compile(r"^(?P<topic>.+)-(?P<partition>\d+)$")


def topic_of(folder: str, prefix: str) -> str | None:
    """The topic of a partition's folder (``<topic>-<partition>``), without the run's prefix;
    ``None`` for another run's topic or a folder that is not a partition."""
    m = _PARTITION_DIR.match(folder)
    if m is None or not m.group("topic").startswith(prefix):
        return None
    return m.group("topic")[len(prefix) :].lstrip(".-") or m.group("topic")


def topic_bytes(data_dir: Path | None, prefix: str) -> dict[str, int]:
    """Bytes in the log segments of each topic of the run (its faust changelogs included)."""
    if data_dir is None:
        return {}
    out: dict[str, int] = {}
    try:
        folders = list(Path(data_dir).iterdir())
    except OSError:
        return {}
    for folder in folders:
        topic = topic_of(folder.name, prefix)
        if topic is None:
            continue
        try:
            size = sum(f.stat().st_size for f in folder.glob("*.log"))
        except OSError:
            continue
        out[topic] = out.get(topic, 0) + size
    return out


def bytes_difference(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Bytes written per topic between two readings, largest first, with a total."""
    grown = {t: n - before.get(t, 0) for t, n in after.items() if n - before.get(t, 0) > 0}
    ranked = dict(sorted(grown.items(), key=lambda kv: -kv[1]))
    return {**ranked, "total": sum(grown.values())} if ranked else {}
