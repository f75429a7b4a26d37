"""Workflows of the tracing story, hosted by `goblins worker wf_traced` (cwd tests/e2e).

At import the process exports its spans as JSON lines to $GOBLINS_TEST_SPANS and writes the
records of goblins.workflow.logger to $GOBLINS_TEST_WFLOG (``<message>|<step>|<pid>``): the
test reads both files across a kill -9 of the worker.
"""

from __future__ import annotations

import asyncio
import logging
import os

import goblins
from tests.tracing_support import configure_from_env

configure_from_env()
if os.environ.get("GOBLINS_TEST_WFLOG"):
    _handler = logging.FileHandler(os.environ["GOBLINS_TEST_WFLOG"])
    _handler.setFormatter(logging.Formatter("%(message)s|%(step)s|%(process)d"))
    logging.getLogger("goblins.workflow").addHandler(_handler)
    logging.getLogger("goblins.workflow").setLevel(logging.INFO)


@goblins.activity
async def traced_step(path: str, index: int) -> int:
    """Append ``index:<pid>`` to ``path``, work ~100 ms."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{index}:{os.getpid()}\n".encode())
    finally:
        os.close(fd)
    await asyncio.sleep(0.1)
    return index


@goblins.workflow(name="traced_steps")
async def traced_steps(path: str, count: int) -> int:
    """``count`` activities one after another, each step logged by the workflow logger."""
    total = 0
    for index in range(count):
        goblins.workflow.logger.info("step %d", index)
        total += await goblins.workflow.execute_activity(traced_step, path, index, start_to_close_timeout=60)
    return total
