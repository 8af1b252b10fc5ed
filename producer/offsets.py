"""Which upload offsets may be committed: an upload is done when its job's last event is
delivered, and those reports can come back out of order (the events of two jobs go to
different partitions of the jobs topic). A partition's committable offset is the one after
its longest run of done uploads from the start, so a crash never skips an unsealed job."""

from __future__ import annotations

from collections import deque

Partition = tuple[str, int]


class DoneOffsets:
    def __init__(self) -> None:
        # per partition: the offsets taken, in order, and whether each is done
        self._taken: dict[Partition, deque[list[int | bool]]] = {}

    def take(self, partition: Partition, offset: int) -> None:
        self._taken.setdefault(partition, deque()).append([offset, False])

    def done(self, partition: Partition, offset: int) -> int | None:
        """Mark one done; return the offset to commit now (the next to read), if it moved."""
        queue = self._taken.get(partition)
        if not queue:
            return None
        for entry in queue:
            if entry[0] == offset:
                entry[1] = True
        committable: int | None = None
        while queue and queue[0][1]:
            committable = int(queue.popleft()[0]) + 1
        return committable

    def forget(self, partitions: set[Partition]) -> None:
        """Revoked partitions: their new owner re-reads what was not committed."""
        for partition in partitions:
            self._taken.pop(partition, None)

    def pending(self) -> int:
        return sum(len(q) for q in self._taken.values())
