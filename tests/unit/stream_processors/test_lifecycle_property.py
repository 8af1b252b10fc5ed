"""The job lifecycle as a consumer folds it: random sequences of chunk results, dead
letters, redrives, replays and re-parses, of a job that may first pause for its column
mapping (then confirmed, or expired), duplicated, reordered across topics and split into
batches the way Kafka and the aggregator allow, go through the fold and the event
publisher; a consumer that keeps the highest revision per job (docs/topics.md) always ends
with what the API serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from api.progress_view import ProgressView
from schemas.column_mapping import MappingPreview
from schemas.events import JobOutcomeEvent
from schemas.records import ChunkResult, JobEvent, UploadStatus
from schemas.settings import load_settings
from stream_processors.job_status import to_status
from stream_processors.progress import JobProgress, fold_batch
from stream_processors.progress_publisher import ProgressPublisher

JOB = "job-1"
ROWS = 10  # rows per chunk
T0 = datetime(2026, 3, 1, tzinfo=UTC)
OUTCOME_FIELDS = (
    "state",
    "rows_ok",
    "rows_failed",
    "rows_dead_lettered",
    "dead_letters",
    "error",
    "warning",
)
EXPIRED = "nobody confirmed the column mapping within 24 h"
PREVIEW = MappingPreview(reason="no header row names order_id", file_columns=["Order #"])


def _job_event(kind: str, chunks: int, second: float) -> bytes:
    totals = {"total_chunks": chunks, "total_rows": chunks * ROWS} if kind == "sealed" else {}
    reason = {"reason": "the file is damaged"} if kind == "parse_failed" else {}
    reason = {"reason": EXPIRED} if kind == "mapping_expired" else reason
    preview = {"mapping_preview": PREVIEW} if kind == "needs_mapping" else {}
    mapping = {"mapping": {"order_id": "Order #"}} if kind == "mapping_confirmed" else {}
    event = JobEvent(
        job_id=JOB,
        kind=kind,  # type: ignore[arg-type]
        tenant="acme",
        dataset="orders",
        filename="orders.csv",
        tier="high",
        submitted_at=T0,
        at=T0 + timedelta(seconds=second),
        **totals,  # type: ignore[arg-type]
        **reason,  # type: ignore[arg-type]
        **preview,  # type: ignore[arg-type]
        **mapping,  # type: ignore[arg-type]
    )
    return event.model_dump_json().encode()


def _chunk_result(no: int, ok: int, dead: bool, second: float) -> bytes:
    result = ChunkResult(
        job_id=JOB,
        chunk_no=no,
        rows_ok=0 if dead else ok,
        rows_failed=ROWS if dead else ROWS - ok,
        dead_lettered=dead,
        reason="permanent database error: value too long" if dead else None,
        first_row=2 + no * ROWS if dead else None,
        last_row=1 + (no + 1) * ROWS if dead else None,
        at=T0 + timedelta(seconds=second),
    )
    return result.model_dump_json().encode()


# what can happen to one job, in the order the operator or the pipeline does it
ACTIONS = st.one_of(
    st.tuples(st.just("chunk"), st.integers(0, 3)),  # a worker handles a chunk (again)
    st.tuples(st.just("redrive"), st.integers(0, 3)),  # dlq redrive / replay of a dead chunk
    st.tuples(st.just("replay"), st.integers(0, 3)),  # replay --to db of a counted chunk
    st.tuples(st.just("seal"), st.just(0)),
    st.tuples(st.just("parse_failed"), st.just(0)),
    st.tuples(st.just("reparse"), st.just(0)),  # registered + sealed again
    st.tuples(st.just("confirm"), st.just(0)),  # a person maps a paused job's columns
    st.tuples(st.just("expire"), st.just(0)),  # nobody did in time
    st.tuples(st.just("duplicate"), st.integers(0, 50)),  # at least once: any record again
    st.tuples(st.just("from_start"), st.integers(1, 3)),  # offsets lost: the first ones again
    st.tuples(st.just("overtake"), st.integers(0, 50)),  # another topic's record goes first
    st.tuples(st.just("batch"), st.just(0)),  # the aggregator folds what it has
    st.tuples(st.just("tick"), st.just(0)),  # its timer publishes what was held back
    st.tuples(st.just("restart"), st.integers(1, 6)),  # redelivery since the last commit
)


@dataclass
class Aggregator:
    """The aggregator app's loop without Kafka: fold a batch, write the table, publish."""

    table: dict[str, str] = field(default_factory=dict)
    publisher: ProgressPublisher = field(default_factory=ProgressPublisher)
    view: ProgressView = field(default_factory=lambda: ProgressView(load_settings()))
    events: list[JobOutcomeEvent] = field(default_factory=list)
    now: float = 0.0

    def stored(self, job_id: str) -> JobProgress | None:
        text = self.table.get(job_id)
        return JobProgress.model_validate_json(text) if text else None

    def fold(self, batch: list[tuple[str, bool, bytes]]) -> None:
        self.now += 0.1
        for job_id, (progress, _last) in fold_batch(batch, self.stored).items():
            self.table[job_id] = progress.model_dump_json()
            self._publish(progress)

    def tick(self) -> None:
        self.now += 1.0
        for progress in list(self.publisher.dirty.values()):
            self._publish(progress)

    def _publish(self, progress: JobProgress) -> None:
        status = self.publisher.due(progress, self.now)
        if status is None:
            return
        self.view.put(UploadStatus.model_validate_json(status.model_dump_json()))
        event = self.publisher.outcome(progress)
        if event is not None:
            self.events.append(JobOutcomeEvent.model_validate_json(event.model_dump_json()))


def consumer_fold(events: list[JobOutcomeEvent]) -> JobOutcomeEvent | None:
    """The documented rule: keep the highest revision per job."""
    kept: JobOutcomeEvent | None = None
    for event in events:
        if kept is None or event.revision > kept.revision:
            kept = event
    return kept


def check_agreement(agg: Aggregator) -> None:
    by_revision: dict[int, JobOutcomeEvent] = {}
    for event in agg.events:
        seen = by_revision.setdefault(event.revision, event)
        assert [getattr(seen, f) for f in OUTCOME_FIELDS] == [
            getattr(event, f) for f in OUTCOME_FIELDS
        ], f"two events of revision {event.revision} disagree"
    served = agg.view.get(JOB)
    kept = consumer_fold(agg.events)
    if served is None or not served.is_final:
        assert kept is None, f"an event {kept} while the API serves {served}"
        return
    assert kept is not None, f"the API serves {served.state} and no event says so"
    assert kept.revision == served.revision
    for name in OUTCOME_FIELDS:
        assert getattr(kept, name) == getattr(served, name), name
    if kept.type == "job.revised":
        assert kept.previous_state is not None and kept.revision > 2


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.integers(1, 4),
    fates=st.lists(st.tuples(st.integers(0, ROWS), st.booleans()), min_size=4, max_size=4),
    paused=st.booleans(),
    actions=st.lists(ACTIONS, max_size=40),
)
def test_the_highest_revision_event_is_what_the_api_serves(
    chunks: int, fates: list[tuple[int, bool]], paused: bool, actions: list[tuple[str, int]]
) -> None:
    agg = Aggregator()
    sent: list[tuple[str, bool, bytes]] = []  # every record, in the order Kafka holds them
    pending: list[tuple[str, bool, bytes]] = []  # not folded yet
    dead: set[int] = set()
    handled: set[int] = set()
    clock = 0.0
    # a paused job's fate: the API confirms its mapping or expires it, whichever comes first
    # (the paused upload's row is taken once); only a confirmed one is read and chunked
    decided: str | None = None if paused else "read"

    def send(is_job_event: bool, value: bytes) -> None:
        record = (JOB, is_job_event, value)
        sent.append(record)
        pending.append(record)

    send(True, _job_event("needs_mapping" if paused else "registered", chunks, 0))
    closing = [("confirm", 0), ("chunk", -1), ("seal", 0), ("redrive", -1), ("batch", 0)]
    for action, n in [*actions, *closing]:
        clock += 0.5
        targets = range(chunks) if n == -1 else [n % chunks]
        if action in ("confirm", "expire"):
            if decided is None and action == "confirm":
                decided = "read"
                send(True, _job_event("mapping_confirmed", chunks, clock))
                send(True, _job_event("registered", chunks, clock))
            elif decided is None:
                decided = "expired"
                send(True, _job_event("mapping_expired", chunks, clock))
        elif decided != "read" and action in ("chunk", "seal", "parse_failed", "reparse"):
            pass  # a file not read yet (or never: expired) has no chunks and no seal
        elif action == "chunk":
            for no in targets:
                ok, is_dead = fates[no]
                if no not in handled:  # a later handling of it: the ledger has it, or not
                    handled.add(no)
                    dead.update([no] if is_dead else [])
                    send(False, _chunk_result(no, ok, is_dead, clock))
        elif action in ("redrive", "replay"):
            for no in targets:
                if no in dead and action == "redrive":
                    dead.discard(no)
                    send(False, _chunk_result(no, fates[no][0], False, clock))
                elif no in handled and no not in dead:  # counted: the aggregator ignores it
                    send(False, _chunk_result(no, fates[no][0], False, clock))
        elif action == "seal":
            send(True, _job_event("sealed", chunks, clock))
        elif action == "parse_failed":
            send(True, _job_event("parse_failed", chunks, clock))
        elif action == "reparse":
            send(True, _job_event("registered", chunks, clock))
            send(True, _job_event("sealed", chunks, clock))
        elif action == "duplicate" and sent:
            send(*sent[n % len(sent)][1:])
        elif action == "from_start":
            pending.extend(sent[:n])
        elif action == "overtake" and len(pending) > 1:
            # a chunk result may pass a job event (separate topics); one topic keeps order
            last = pending[-1]
            earlier = [i for i, r in enumerate(pending[:-1]) if r[1] != last[1]]
            if earlier:
                pending.insert(earlier[n % len(earlier)], pending.pop())
        elif action == "batch" and pending:
            agg.fold(pending)
            pending = []
        elif action == "tick":
            agg.tick()
        elif action == "restart":
            # a new aggregator: the table survives (its changelog), the last records come
            # again, and the publisher's memory of what it sent is gone
            agg.publisher = ProgressPublisher()
            pending = [*sent[-n:], *pending]
        check_agreement(agg)
    agg.tick()
    check_agreement(agg)

    served = agg.view.get(JOB)
    # what the aggregator's table holds (and would publish after a restart) is what it served
    stored = agg.stored(JOB)
    assert stored is not None and served is not None
    held = to_status(stored, T0)
    assert (held.state, held.revision, held.rows_ok) == (
        served.state,
        served.revision,
        served.rows_ok,
    )
    if decided == "expired":  # failed with the reason, once, and never revised
        assert served is not None and (served.state, served.error) == ("failed", EXPIRED)
        assert served.revision == 2 and [e.type for e in agg.events][:1] == ["job.failed"]
        assert {e.revision for e in agg.events} == {2}
        return
    # in the end every chunk was handled, the file sealed and every dead letter re-driven:
    # whatever happened on the way, the job ends as its chunks' fates say
    assert served is not None and served.state in ("completed", "completed_with_errors")
    assert served.rows_ok == sum(fates[no][0] for no in range(chunks))
    assert served.rows_dead_lettered == 0 and served.dead_letters == []
