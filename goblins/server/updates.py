"""Updates (Temporal's Update): validated by the worker holding the run, recorded, answered.

``RunUpdates`` is a part of ``Runs`` (server/runs.py), kept apart for its size. An update
first travels like a query: the worker that holds the run runs its validator read-only, and a
validator that raises rejects it with nothing written. Once accepted, the run's owner records
UPDATE_ACCEPTED (once per update id: the client resends its id after a reconnect) and a
workflow task runs the handler, whose outcome the owner records as UPDATE_COMPLETED. The
answer is read from the history, so a caller whose call broke (a server killed) and who asks
again with the same id gets the recorded outcome, and the handler ran once.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from goblins.api import v1 as pb
from goblins.server.checks import too_long
from goblins.server.request_errors import FailedPrecondition, InvalidArgument, NotFound

if TYPE_CHECKING:
    from goblins.server.loop import EventLoop
    from goblins.server.ports import Mode

MAX_UPDATE_WAIT = 60.0
_POLL_MAX = 0.25
_ACCEPT_GRACE = 10.0  # past the caller's wait, how long an accepted update may take to show
ABANDONED = "UpdateAbandoned"  # the error_type of an update whose run ended before its handler did


class _State:
    """What a run's history says of one update."""

    def __init__(self, found: bool, finished: bool, accepted: bool, completed: pb.HistoryEvent | None) -> None:
        self.found, self.finished, self.accepted, self.completed = found, finished, accepted, completed


def _outcome(event: pb.HistoryEvent) -> pb.UpdateWorkflowResponse:
    done = event.update_completed
    reply = pb.UpdateWorkflowResponse(completed=True)
    if done.HasField("failure"):
        reply.failure.CopyFrom(done.failure)
    else:
        reply.ok, reply.output = True, done.output
    return reply


class RunUpdates:
    """Runs' update path (a mixin: Runs sets the attributes)."""

    mode: Mode
    loop: EventLoop

    if TYPE_CHECKING:

        def _refuse_payload(self, data: bytes, argument: str) -> None: ...
        async def _control(self, run_id: str, report: pb.Report) -> None: ...
        async def _ask_worker(self, task: pb.QueryTask) -> pb.QueryAnswer: ...
        async def _resolve(self, workflow_id: str, run_id: str) -> str: ...

    async def update(self, request: pb.UpdateWorkflowRequest) -> pb.UpdateWorkflowResponse:
        """Validate, record and wait for an update (at most ``wait`` seconds once accepted:
        ``completed`` false then, and the caller asks again with the same update id)."""

        if not request.name:
            raise InvalidArgument("an update needs a name")
        if not request.update_id:
            raise InvalidArgument("an update needs an update_id (chosen by the client: a resend is run once)")
        problem = too_long(("run_id", request.run_id), ("name", request.name), ("update_id", request.update_id))
        if problem:
            raise InvalidArgument(problem)
        if math.isnan(request.wait):
            raise InvalidArgument("wait must be a number of seconds, got nan")
        self._refuse_payload(request.input, "input")
        request.run_id = await self._resolve(request.workflow_id, request.run_id)
        reply = await self._update(request)
        reply.run_id = request.run_id
        return reply

    async def _update(self, request: pb.UpdateWorkflowRequest) -> pb.UpdateWorkflowResponse:

        state = await self._update_state(request.run_id, request.update_id)
        loop = asyncio.get_running_loop()
        give_up, delay = loop.time() + self.mode.router.not_found_grace, 0.05
        while not state.found and loop.time() < give_up:  # a just-started run may be on its way
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
            state = await self._update_state(request.run_id, request.update_id)
        if not state.found:
            raise NotFound(f"no workflow run with id {request.run_id!r}")
        if state.completed is not None:
            return _outcome(state.completed)
        if not state.accepted:
            if state.finished:
                raise FailedPrecondition(f"workflow run {request.run_id} has already finished")
            answer = await self._ask_worker(
                pb.QueryTask(run_id=request.run_id, name=request.name, input=request.input, validate_update=True)
            )
            if not answer.ok:
                return pb.UpdateWorkflowResponse(
                    rejected=True, failure=pb.Failure(message=answer.error, type=answer.error_type)
                )
            accept = pb.UpdateWorkflowRequest(
                run_id=request.run_id, update_id=request.update_id, name=request.name, input=request.input
            )
            await self._control(request.run_id, pb.Report(update_workflow=accept))
        return await self._await_update(request.run_id, request.update_id, request.wait)

    async def _await_update(self, run_id: str, update_id: str, wait: float) -> pb.UpdateWorkflowResponse:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(wait, 0.0), MAX_UPDATE_WAIT)
        delay = 0.005
        while True:
            state = await self._update_state(run_id, update_id)
            if state.completed is not None:
                return _outcome(state.completed)
            now = loop.time()
            if state.finished and (state.accepted or now >= deadline):
                failure = pb.Failure(
                    type=ABANDONED, message=f"{ABANDONED}: the run ended before the update's handler finished"
                )
                return pb.UpdateWorkflowResponse(completed=True, failure=failure)
            if now >= deadline and (state.accepted or now >= deadline + _ACCEPT_GRACE):
                return pb.UpdateWorkflowResponse()  # not yet: asked again with the same id
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    async def _update_state(self, run_id: str, update_id: str) -> _State:
        rs = self.loop.run(run_id)
        if rs is not None:
            updates, finished = rs.updates, rs.finished
        else:
            stored = await self.mode.store.load_run(run_id)
            if stored is None:
                return _State(False, False, False, None)
            updates, finished = {}, False
            for e in stored.events:
                if e.type == pb.UPDATE_ACCEPTED:
                    updates.setdefault(e.update_accepted.update_id, None)
                elif e.type == pb.UPDATE_COMPLETED:
                    updates[e.update_completed.update_id] = e
                elif e.type in (pb.WORKFLOW_FINISHED_IN_SUCCESS, pb.WORKFLOW_FINISHED_IN_ERROR):
                    finished = True
        return _State(True, finished, update_id in updates, updates.get(update_id))
