"""Long histories travel in pages; a history's size is kept as it grows and limited (issue 10 item 2)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, WORKFLOW
from goblins.server.fold import FoldedRun
from goblins.server.loop import EventLoop
from goblins.server.paging import MAX_PAGE_EVENTS, PAGE_BYTES, fit, page_token, parse_token
from goblins.server.runs import InvalidArgument, Runs
from goblins.wire import history_event, type_name
from tests.unit.memory_ports import T0, Clock, MemoryQueue, MemoryRouter, MemoryStore, mode
from tests.unit.test_loop import completed, report, start


def _event(run_id: str, seq: int, size: int = 0) -> pb.HistoryEvent:
    """An event of about ``size`` bytes (a signal's input)."""
    if seq == 1:
        return history_event("WORKFLOW_SCHEDULED", run_id=run_id, seq=1, workflow_name="wf", time=T0)
    return history_event(
        "WORKFLOW_SIGNALED",
        run_id=run_id,
        seq=seq,
        workflow_name="wf",
        time=T0 + seq,
        signal_name="s",
        signal_id=f"s{seq}",
        input=b"x" * size,
    )


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def runs(store: MemoryStore) -> AsyncIterator[Runs]:
    m = mode(store, MemoryQueue(), MemoryRouter())
    loop = EventLoop(m, Clock())
    await loop.start()
    yield Runs(m, loop)
    await loop.stop()


def test_tokens_and_cuts() -> None:
    assert parse_token(page_token("r1", 42), "r1") == 42
    for bad in (b"", b"junk", page_token("r2", 42), b"h1:-3:r1", b"h1:x:r1"):
        assert parse_token(bad, "r1") is None, bad
    through = [0, 10, 20, 30, 40]  # four items of 10 bytes
    assert fit(through, 0, 4, 100) == 4
    assert fit(through, 0, 4, 25) == 2
    assert fit(through, 1, 4, 9) == 1, "none fits: none"
    assert fit(through, 4, 4, 0) == 4


def test_the_size_is_kept_as_events_come_and_agrees_with_a_fold_from_the_history() -> None:
    events = [_event("r", 1)] + [_event("r", seq, 100 * seq) for seq in range(2, 30)]
    run = FoldedRun.from_history("r", events[:10])
    for e in events[10:]:
        run.apply(e)
    assert run.through == [sum(e.ByteSize() for e in events[:i]) for i in range(len(events) + 1)]
    assert run.history_bytes == FoldedRun.from_history("r", events).history_bytes == run.through[-1]


async def test_a_history_over_the_byte_limit_takes_no_new_step_but_may_end_the_run(
    store: MemoryStore,
) -> None:
    queue = MemoryQueue()
    loop = EventLoop(mode(store, queue), Clock())
    loop.warn_history_bytes, loop.max_history_bytes = 1_000, 3_000
    await loop.start()
    try:
        await start(loop)
        schedule = pb.Command(schedule_activity=pb.ScheduleActivity(step_id="r1/1", activity_name="act"))
        await report(loop, completed(queue.published[-1], 1, schedule))
        act = queue.published[-1]
        assert act.kind == ACTIVITY
        big = pb.ActivityResult(
            task_id=act.task_id, run_id="r1", step_id="r1/1", attempt=1, ok=True, output=b"1" * 4000
        )
        await report(loop, pb.Report(activity_result=big))
        rs = loop.run("r1")
        assert rs is not None and rs.history_bytes == sum(e.ByteSize() for e in store.events["r1"]) > 3_000
        wf = queue.published[-1]
        again = pb.Command(schedule_activity=pb.ScheduleActivity(step_id="r1/2", activity_name="act"))
        await report(loop, completed(wf, rs.events[-1].seq, again))
        failed = store.events["r1"][-1]
        assert type_name(failed) == "WORKFLOW_TASK_FAILED"
        message = failed.workflow_task_failed.failure.message
        assert "bytes, at most 3000" in message and "continue as new" in message
        wf = queue.published[-1]
        assert wf.kind == WORKFLOW, "retried"
        done = pb.Command(complete_workflow=pb.CompleteWorkflow(output=b'"ok"'))
        await report(loop, completed(wf, store.events["r1"][-1].seq, done))
        assert type_name(store.events["r1"][-1]) == "WORKFLOW_FINISHED_IN_SUCCESS", "ending the run is allowed"
    finally:
        await loop.stop()


async def test_a_workflow_task_carries_a_bounded_page_and_a_token_for_the_rest(store: MemoryStore) -> None:
    queue = MemoryQueue()
    loop = EventLoop(mode(store, queue), Clock())
    await loop.start()
    try:
        await start(loop)
        steps = [
            pb.Command(schedule_activity=pb.ScheduleActivity(step_id=f"r1/{i}", activity_name="act")) for i in range(4)
        ]
        await report(loop, completed(queue.published[-1], 1, *steps))
        for act in [t for t in queue.published if t.kind == ACTIVITY]:
            step = act.task_id.split("#")[0]
            result = pb.ActivityResult(task_id=act.task_id, run_id="r1", step_id=step, attempt=1, ok=True)
            result.output = b"2" * 1000
            await report(loop, pb.Report(activity_result=result))
        wf = queue.published[-1]
        durable = len(store.events["r1"])
        whole, size = loop.build_workflow_task(wf, 0)
        assert [e.seq for e in whole.events] == list(range(1, durable + 1)) and not whole.next_page_token
        assert whole.last_seq == durable and size == sum(e.ByteSize() for e in store.events["r1"])
        cut, size = loop.build_workflow_task(wf, 0, None, 2500)
        assert 0 < len(cut.events) < durable and size <= 2500
        assert cut.last_seq == durable and parse_token(cut.next_page_token, "r1") == cut.events[-1].seq
        none, size = loop.build_workflow_task(wf, 0, None, 0)
        assert not none.events and size == 0 and parse_token(none.next_page_token, "r1") == 0
    finally:
        await loop.stop()


async def test_get_history_pages_by_count_and_by_bytes(store: MemoryStore, runs: Runs) -> None:
    store.events["r"] = [_event("r", 1)] + [_event("r", seq, 10) for seq in range(2, 26)]
    seqs: list[list[int]] = []
    token = b""
    while True:
        page = await runs.history_page(pb.GetHistoryRequest(run_id="r", page_size=10, page_token=token))
        assert page.found
        seqs.append([e.seq for e in page.events])
        token = page.next_page_token
        if not token:
            break
    assert seqs == [list(range(1, 11)), list(range(11, 21)), list(range(21, 26))]
    exact = await runs.history_page(pb.GetHistoryRequest(run_id="r", page_size=25))
    assert len(exact.events) == 25 and not exact.next_page_token, "no empty page after an exact fit"
    after = await runs.history_page(pb.GetHistoryRequest(run_id="r", after_seq=20))
    assert [e.seq for e in after.events] == [21, 22, 23, 24, 25]

    store.events["big"] = [_event("big", 1)] + [_event("big", seq, 1024 * 1024) for seq in range(2, 12)]
    first = await runs.history_page(pb.GetHistoryRequest(run_id="big"))
    assert [e.seq for e in first.events] == [1, 2, 3, 4], "four events fit 4 MiB, not five"
    assert sum(e.ByteSize() for e in first.events) <= PAGE_BYTES
    store.events["huge"] = [_event("huge", 1, 0), _event("huge", 2, 5 * 1024 * 1024)]
    second = await runs.history_page(pb.GetHistoryRequest(run_id="huge", after_seq=1))
    assert [e.seq for e in second.events] == [2], "an event bigger than a page is a page of its own"


async def test_get_history_refuses_a_bad_token_or_page_size(store: MemoryStore, runs: Runs) -> None:
    store.events["r"] = [_event("r", 1), _event("r", 2)]
    store.events["other"] = [_event("other", 1)]
    for token in (b"garbage", page_token("other", 1)):
        with pytest.raises(InvalidArgument, match="page_token"):
            await runs.history_page(pb.GetHistoryRequest(run_id="r", page_token=token))
    with pytest.raises(InvalidArgument, match="page_size"):
        await runs.history_page(pb.GetHistoryRequest(run_id="r", page_size=-1))
    store.events["long"] = [_event("long", seq) for seq in range(1, MAX_PAGE_EVENTS + 11)]
    capped = await runs.history_page(pb.GetHistoryRequest(run_id="long", page_size=1_000_000))
    assert len(capped.events) == MAX_PAGE_EVENTS and capped.next_page_token, "a huge page_size is cut"
    rest = await runs.history_page(pb.GetHistoryRequest(run_id="long", page_token=capped.next_page_token))
    assert [e.seq for e in rest.events] == list(range(MAX_PAGE_EVENTS + 1, MAX_PAGE_EVENTS + 11))
    assert not (await runs.history_page(pb.GetHistoryRequest(run_id="missing"))).found
