"""Async activity completion: a client completes, fails or heartbeats an attempt by its token.

``RunCompletions`` is a part of ``Runs`` (server/runs.py), kept apart for its size. The server
that takes the call decodes the token and checks it against the run's state (its own, when it
owns the run, else the stored history): a token that is garbled, forged (its secret does not
hash to the one the attempt recorded), or names an attempt that is no longer current (timed
out, retried, completed, its run ended) is refused with NOT_FOUND and a message saying which,
and nothing is written. A completion that passes is submitted to the run's owner like a signal
(through the events topic in the distributed mode) and the call returns once it is durable;
the owner checks it again when it applies it (server/asyncs.py), so a completion that lost a
race with a timeout changes nothing. The same outcome sent again after it was recorded (a
client's retry) is answered OK and changes nothing; a different one is refused.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from goblins import _task_token
from goblins.api import v1 as pb
from goblins.server import asyncs
from goblins.server.checks import bad_payload, too_long
from goblins.server.state import RunState

if TYPE_CHECKING:
    from goblins.server.loop import EventLoop
    from goblins.server.ports import EventStore, Router


ASYNC_GRACE = 10.0
"""Seconds a call waits for the attempt it names to be recorded as async (see below)."""


class RunCompletions:
    """Runs' async completion path (a mixin: Runs sets the attributes)."""

    loop: EventLoop
    store: EventStore
    router: Router

    max_payload: int

    async def complete_activity(self, request: pb.CompleteActivityRequest) -> None:
        """Apply a client's completion, failure or heartbeat of an async attempt (see above)."""
        from goblins.server.runs import InvalidArgument, NotFound

        try:
            token = _task_token.decode(request.task_token)
        except _task_token.BadToken as exc:
            raise NotFound(f"no open activity attempt: {exc}") from None
        problem = too_long(("the token's run_id", token.run_id), ("the token's step_id", token.step_id))
        if problem:
            raise NotFound(f"no open activity attempt: {problem}")
        for data, what in (
            (request.output, "output"),
            (request.details, "details"),
            (request.failure.details, "failure details"),
        ):
            problem = bad_payload(data, what, self.max_payload)
            if problem:
                raise InvalidArgument(problem)
        if not request.heartbeat and not request.ok and not request.failure.message:
            raise InvalidArgument("a completion is ok (with its output), a failure (with a message), or a heartbeat")
        c = pb.ActivityCompletion(
            run_id=token.run_id,
            step_id=token.step_id,
            attempt=token.attempt,
            secret=token.secret,
            ok=request.ok and not request.heartbeat,
            output=request.output,
            heartbeat=request.heartbeat,
            details=request.details,
        )
        if not c.ok and not c.heartbeat:
            c.failure.CopyFrom(request.failure)
            c.failure.ClearField("cause")
        self.loop.refuse_in_outage()
        delay, give_up = 0.02, asyncio.get_running_loop().time() + ASYNC_GRACE
        while True:
            rs = self.loop.run(token.run_id)
            if rs is None:
                stored = await self.store.load_run(token.run_id)
                if stored is None:
                    raise NotFound(f"no open activity attempt: no workflow run with id {token.run_id!r}")
                rs = RunState.from_history(token.run_id, stored.events, ids=self.loop.ids)
            # A fast external system may call before the worker's word that the attempt went
            # async is recorded (it was handed the token first): that word is on its way.
            if not asyncs.still_on_worker(rs, c) or asyncio.get_running_loop().time() >= give_up:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        why = asyncs.refusal(rs, c)
        if why:
            done = asyncs.outcome_of(rs, c)
            if done is not None and asyncs.same_outcome(done, c) and asyncs.secret_matches(rs, c):
                return  # a resend of the recorded outcome: answered as the first was
            raise NotFound(f"no open activity attempt: {why}")
        await self.router.submit(pb.Report(complete_activity=c))
