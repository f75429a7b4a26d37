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
from goblins.errors import describe

# spawn, not fork: the worker process holds gRPC channels and threads that a fork would copy.
START_METHOD = "spawn"

Outcome = tuple[bool, bytes, str, str]  # ok, output, error_type, error


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """A child's loop: one attempt at a time until the parent closes the pipe."""
    while True:
        try:
            fn, payload, what = conn.recv()
        except (EOFError, OSError):
            return
        try:
            value = fn(*converter.decode_args(payload, fn))
            outcome: Outcome = (True, converter.encode(value, what), "", "")
        except BaseException as exc:  # the attempt's failure is its report, the child lives on
            error_type, error = describe(exc)
            outcome = (False, b"", error_type, error)
        conn.send(outcome)


class _Child:
    def __init__(self, ctx: Any) -> None:
        self.conn, child_conn = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_conn,), daemon=True, name="goblins-activity")
        self.process.start()
        child_conn.close()

    def kill(self) -> None:
        # The pipe is left to the garbage collector: a thread may still be in its recv (it
        # gets EOF from the dead child), and closing it under that thread could hit a reused fd.
        self.process.kill()
        self.process.join(1.0)


class ProcessSlots:
    """Up to ``size`` child processes; the worker's slot count keeps attempts within it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ctx = multiprocessing.get_context(START_METHOD)
        self._idle: list[_Child] = []
        # Waits on the children's pipes, starts and kills: two threads per slot, so none queues.
        self._waits = concurrent.futures.ThreadPoolExecutor(2 * size, thread_name_prefix="goblins-process")
        self.killed = 0
        self._closed = False

    def warm(self) -> None:
        """Start the children in the background: a child's start (an interpreter importing
        goblins) would otherwise eat into its first attempt's start_to_close_timeout."""
        loop = asyncio.get_running_loop()
        for _ in range(self.size - len(self._idle)):
            self._spawn(loop)

    def _spawn(self, loop: asyncio.AbstractEventLoop) -> None:
        started = loop.run_in_executor(self._waits, _Child, self._ctx)
        started.add_done_callback(self._started)

    def _started(self, fut: asyncio.Future[_Child]) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return  # the next attempt starts one itself, and says why if it cannot
        if self._closed:
            fut.result().kill()
        else:
            self._idle.append(fut.result())

    async def run(self, fn: Callable[..., Any], payload: bytes, what: str, timeout: float | None) -> Outcome:
        """Run ``fn`` on the decoded ``payload`` in a child; raises TimeoutError (the child was
        killed) after ``timeout`` seconds, and kills the child when cancelled."""
        loop = asyncio.get_running_loop()
        child = self._idle.pop() if self._idle else await loop.run_in_executor(self._waits, _Child, self._ctx)
        try:
            child.conn.send((fn, payload, what))
            outcome: Outcome = await asyncio.wait_for(loop.run_in_executor(self._waits, child.conn.recv), timeout)
        except BaseException:
            self.killed += 1
            await loop.run_in_executor(self._waits, child.kill)
            self._spawn(loop)  # its replacement starts now, ready for the retry
            raise
        self._idle.append(child)
        return outcome

    def close(self) -> None:
        self._closed = True
        for child in self._idle:
            with contextlib.suppress(OSError):
                child.conn.close()
            child.process.join(1.0)
            if child.process.is_alive():
                child.process.kill()
        self._idle.clear()
        self._waits.shutdown(wait=False)
