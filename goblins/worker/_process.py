"""Sync activities in child processes that the worker can kill (``activity_executor="process"``).

A thread stuck in user code cannot be stopped; a process can. Each slot is one child process,
reused from attempt to attempt; an attempt that runs past its ``start_to_close_timeout`` (or
whose run no longer wants it) has its process killed, and a fresh one is spawned for the
next attempt. The child decodes the input and encodes the result itself, so only bytes and
the activity function (pickled by reference: a module-level, decorated function) cross.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.connection
from collections.abc import Callable
from typing import Any

from goblins import converter
from goblins.errors import describe, stack_trace

# spawn, not fork: the worker process holds gRPC channels and threads that a fork would copy.
START_METHOD = "spawn"

Outcome = tuple[bool, bytes, str, str, str]  # ok, output, error_type, error, stack_trace


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """A child's loop: one attempt at a time until the parent closes the pipe."""
    conn.send("ready")  # goblins is imported (this module's import did it): the slot is warm
    while True:
        try:
            fn, payload, what = conn.recv()
        except (EOFError, OSError):
            return
        try:
            value = fn(*converter.decode_args(payload, fn))
            outcome: Outcome = (True, converter.encode(value, what), "", "", "")
        except BaseException as exc:  # the attempt's failure is its report, the child lives on
            error_type, error = describe(exc)
            outcome = (False, b"", error_type, error, stack_trace(exc))
        conn.send(outcome)


class _Child:
    def __init__(self, ctx: Any) -> None:
        self.conn, child_conn = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_conn,), daemon=True, name="goblins-activity")
        self.process.start()
        child_conn.close()
        if self.conn.recv() != "ready":  # blocks this thread (not the loop) while the child imports
            raise RuntimeError("the activity process did not start")

    def kill(self) -> None:
        # The pipe is left to the garbage collector: a thread may still be in its recv (it
        # gets EOF from the dead child), and closing it under that thread could hit a reused fd.
        self.process.kill()
        self.process.join(1.0)


class ProcessSlots:
    """``size`` child processes, started with the worker; the worker's slot count keeps
    attempts within them, so an attempt always finds one (or one that is starting)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ctx = multiprocessing.get_context(START_METHOD)
        self._idle: asyncio.Queue[_Child | BaseException] | None = None  # of the running loop
        # Waits on the children's pipes, starts and kills: two threads per slot, so none queues.
        self._waits = concurrent.futures.ThreadPoolExecutor(2 * size, thread_name_prefix="goblins-process")
        self._children: list[_Child] = []
        self.killed = 0
        self._closed = False

    def warm(self) -> None:
        """Start the children in the background: a child's start (an interpreter importing
        goblins: seconds on a busy machine) would otherwise eat into an attempt's timeout."""
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                self._spawn()

    def _spawn(self) -> None:
        started = asyncio.get_running_loop().run_in_executor(self._waits, _Child, self._ctx)
        started.add_done_callback(self._started)

    def _started(self, fut: asyncio.Future[_Child]) -> None:
        assert self._idle is not None
        if fut.cancelled():
            return
        error = fut.exception()
        if error is not None:  # the attempt that takes this slot fails with the reason, and starts another
            self._idle.put_nowait(error)
        elif self._closed:
            fut.result().kill()
        else:
            self._children.append(fut.result())
            self._idle.put_nowait(fut.result())

    async def run(self, fn: Callable[..., Any], payload: bytes, what: str, timeout: float | None) -> Outcome:
        """Run ``fn`` on the decoded ``payload`` in a child; raises TimeoutError (the child was
        killed) after ``timeout`` seconds, and kills the child when cancelled."""
        self.warm()
        assert self._idle is not None
        taken = await self._idle.get()
        if isinstance(taken, BaseException):
            self._spawn()
            raise taken
        child, loop = taken, asyncio.get_running_loop()
        try:
            child.conn.send((fn, payload, what))
            outcome: Outcome = await asyncio.wait_for(loop.run_in_executor(self._waits, child.conn.recv), timeout)
        except BaseException:
            self.killed += 1
            self._children.remove(child)
            await loop.run_in_executor(self._waits, child.kill)
            self._spawn()  # its replacement starts now, ready for the retry
            raise
        self._idle.put_nowait(child)
        return outcome

    def close(self) -> None:
        self._closed = True
        for child in self._children:
            with contextlib.suppress(OSError):
                child.conn.close()  # the child's recv ends: it exits
        for child in self._children:
            child.process.join(1.0)
            if child.process.is_alive():
                child.process.kill()
        self._children.clear()
        self._waits.shutdown(wait=False)
