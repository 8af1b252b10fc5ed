"""The broker's GC from a HotSpot performance-data file, and bytes per topic on disk."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bench import bulk_broker_stats as bs


def perfdata(longs: dict[str, int], strings: dict[str, str]) -> bytes:
    """A little-endian HotSpot performance-data file (the layout of hsperfdata_<user>/<pid>):
    a 32-byte prologue, then one entry per counter, name and value inside the entry."""
    entries = []
    for name, value in [*longs.items(), *strings.items()]:
        raw_name = name.encode() + b"\0"
        is_long = isinstance(value, int)
        data = struct.pack("<q", value) if is_long else value.encode() + b"\0"
        name_at = 20
        data_at = (name_at + len(raw_name) + 7) // 8 * 8
        length = (data_at + len(data) + 7) // 8 * 8
        head = struct.pack(
            "<iiiBBBBi",
            length,
            name_at,
            0 if is_long else len(data),
            ord("J") if is_long else ord("B"),
            0,
            1,
            3,
            data_at,
        )
        body = bytearray(length)
        body[: len(head)] = head
        body[name_at : name_at + len(raw_name)] = raw_name
        body[data_at : data_at + len(data)] = data
        entries.append(bytes(body))
    payload = b"".join(entries)
    prologue = b"\xca\xfe\xc0\xc0" + bytes([1, 2, 0, 1])
    prologue += struct.pack("<iiqii", 32 + len(payload), 0, 0, 32, len(entries))
    return prologue + payload


SERIAL = perfdata(
    {
        "sun.os.hrt.frequency": 1_000_000_000,
        "sun.gc.collector.0.invocations": 128,
        "sun.gc.collector.0.time": 4_199_238_870,
        "sun.gc.collector.1.invocations": 4,
        "sun.gc.collector.1.time": 1_002_499_404,
    },
    {
        "sun.gc.collector.0.name": "Serial young collection pauses",
        "sun.gc.collector.1.name": "Serial full collection pauses",
    },
)


def test_the_gc_counters_of_a_serial_collector_jvm() -> None:
    gc = bs.gc_counters(bs.parse_hsperfdata(SERIAL))
    assert gc["Serial young collection pauses"]["count"] == 128
    assert gc["Serial young collection pauses"]["time_s"] == pytest.approx(4.19923887)
    assert gc["Serial full collection pauses"] == {
        "count": 4,
        "time_s": pytest.approx(1.0025, abs=1e-4),
    }


def test_a_file_that_is_not_performance_data_is_refused() -> None:
    with pytest.raises(ValueError, match="HotSpot"):
        bs.parse_hsperfdata(b"\0" * 64)


def test_gc_in_a_window_by_collector_and_in_all() -> None:
    before = {"young": {"count": 10, "time_s": 0.5}, "full": {"count": 1, "time_s": 0.2}}
    after = {"young": {"count": 25, "time_s": 0.9}, "full": {"count": 1, "time_s": 0.2}}
    d = bs.gc_difference(before, after)
    assert d["young"] == {"count": 15, "time_s": 0.4}
    assert d["total"] == {"count": 15, "time_s": 0.4}
    assert bs.gc_difference(None, after) == {}


def test_a_partition_folder_names_its_topic_without_the_run_prefix() -> None:
    assert bs.topic_of("bb12w2.chunks.low-7", "bb12w2") == "chunks.low"
    assert bs.topic_of("bb12w2-progress-progress-changelog-0", "bb12w2") == (
        "progress-progress-changelog"
    )
    assert bs.topic_of("bb99w2.chunks.low-0", "bb12w2") is None  # another run's
    assert bs.topic_of("__cluster_metadata-0", "bb12w2") is None
    assert bs.topic_of("meta.properties", "bb12w2") is None


def test_bytes_per_topic_from_the_segments_and_what_a_window_wrote(tmp_path: Path) -> None:
    for folder, size in (("p.chunks.low-0", 300), ("p.chunks.low-1", 200), ("p.jobs-0", 50)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "00000000000000000000.log").write_bytes(b"x" * size)
        (tmp_path / folder / "00000000000000000000.index").write_bytes(b"\0" * 4096)
    (tmp_path / "q.jobs-0").mkdir()
    (tmp_path / "q.jobs-0" / "00000000000000000000.log").write_bytes(b"x" * 999)
    after = bs.topic_bytes(tmp_path, "p")
    assert after == {"chunks.low": 500, "jobs": 50}
    assert bs.bytes_difference({"chunks.low": 100, "jobs": 50}, after) == {
        "chunks.low": 400,
        "total": 400,
    }
    assert bs.topic_bytes(None, "p") == {}
