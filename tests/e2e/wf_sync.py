"""Sync activities that hold their thread, for the slot stories, hosted by `goblins worker wf_sync`.

Each attempt appends ``<index>:<pid>`` to a log file (O_APPEND: no interleaving) as it starts.
"""

from __future__ import annotations

import asyncio
import os
import time

import goblins


@goblins.activity
def hold_sync(path: str, index: int, seconds: float) -> int:
    """Log, then hold the worker's thread for ``seconds``."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{index}:{os.getpid()}\n".encode())
    finally:
        os.close(fd)
    time.sleep(seconds)
    return os.getpid()


@goblins.workflow(name="fan_out_sync")
async def fan_out_sync(path: str, count: int, seconds: float) -> list[int]:
    calls = (
        goblins.workflow.execute_activity(hold_sync, path, i, seconds, start_to_close_timeout=60) for i in range(count)
    )
    return list(await asyncio.gather(*calls))
