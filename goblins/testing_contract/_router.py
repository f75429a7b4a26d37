"""The Router contract: ``goblins.server.ports`` Router requirements 1-3, and what a router
gives the owner of a run: each start once, each run's reports in the order they were sent."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import MESSAGE, TaskRecord
from goblins.server.ports import Router
from goblins.testing_contract._common import RecordingInbox, eventually, new_id


@dataclasses.dataclass
class RouterHarness:
    """A bound router whose runs' owner is ``inbox`` (this server owns every run)."""

    router: Router
    inbox: RecordingInbox
    wait: float = 5.0  # how long a request may take to reach the owner (through a broker)


def start_request(run_id: str) -> pb.StartWorkflowRequest:
    return pb.StartWorkflowRequest(workflow_name="wf", input=b"[]", run_id=run_id)


def signal(run_id: str, n: int) -> pb.Report:
    return pb.Report(signal_workflow=pb.SignalWorkflow(run_id=run_id, name="s", input=b"%d" % n, signal_id=f"s{n}"))


class RouterContract:
    """Router requirements; the subclass provides a ``harness`` fixture (a RouterHarness)."""

    brokered = False  # True: requests are durable once a broker has them (the owner records them later)

    async def test_a_start_reaches_the_owner_once(self, harness: RouterHarness) -> None:
        run = new_id()
        assert await harness.router.start(start_request(run), fresh=False)
        assert await eventually(lambda: run in harness.inbox.known, harness.wait)
        await asyncio.sleep(0.3)  # a duplicate would come right behind
        assert [s.run_id for s in harness.inbox.starts].count(run) == 1

    async def test_a_second_start_of_a_known_run_is_refused(self, harness: RouterHarness) -> None:
        run = new_id()
        assert await harness.router.start(start_request(run), fresh=False)
        assert await eventually(lambda: run in harness.inbox.known, harness.wait)
        assert not await harness.router.start(start_request(run), fresh=False), "started twice"
        assert [s.run_id for s in harness.inbox.starts].count(run) == 1

    async def test_a_runs_reports_reach_the_owner_in_the_order_sent(self, harness: RouterHarness) -> None:
        run = new_id()
        for n in range(5):
            await harness.router.submit(signal(run, n))
        assert await eventually(lambda: len(harness.inbox.reported(run)) >= 5, harness.wait)
        assert [r.signal_workflow.signal_id for r in harness.inbox.reported(run)] == [f"s{n}" for n in range(5)]

    async def test_submit_returns_once_the_report_is_durable(self, harness: RouterHarness) -> None:
        """Requirement 1, where the owner's commit is what makes it durable."""
        if self.brokered:
            pytest.skip(f"{type(self).__name__}: durable once the broker has it (the owner may be later)")
        harness.inbox.hold_acks = True
        submit = asyncio.ensure_future(harness.router.submit(signal(new_id(), 0)))
        await asyncio.sleep(0.2)
        assert not submit.done(), "returned before the owner made it durable"
        harness.inbox.release()
        await asyncio.wait_for(submit, harness.wait)

    async def test_messages_reach_their_runs(self, harness: RouterHarness) -> None:
        parent, child = new_id(), new_id()
        news = pb.Report(child_finished=pb.ChildFinished(run_id=parent, step_id=f"{parent}/1", child_run_id=child))
        start = pb.Report(
            start_workflow=pb.StartWorkflowRequest(workflow_name="wf", run_id=child, parent_run_id=parent)
        )
        messages = [
            TaskRecord(f"msg-{new_id()}", parent, MESSAGE, "", 0.0, news.SerializeToString()),
            TaskRecord(f"msg-{new_id()}", child, MESSAGE, "", 0.0, start.SerializeToString()),
        ]
        await harness.router.deliver(messages)
        assert await eventually(
            lambda: bool(harness.inbox.reported(parent)) and bool(harness.inbox.reported(child)), harness.wait
        )
        assert harness.inbox.reported(parent)[0].child_finished.child_run_id == child
        assert harness.inbox.reported(child)[0].start_workflow.parent_run_id == parent

    async def test_the_only_server_owns_every_run_and_polls_sanely(self, harness: RouterHarness) -> None:
        """Requirements 2-3 (a single server: it owns every run)."""
        runs = [new_id() for _ in range(20)]
        assert await eventually(lambda: all(harness.router.owns(r) for r in runs), harness.wait)
        assert harness.router.not_found_grace >= 0
        assert all(0 < harness.router.result_poll(r) <= 600 for r in runs)
