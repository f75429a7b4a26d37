"""Workflows for the local activity kill test, hosted by `goblins worker wf_local_activities`.

Activities append ``<text>:<pid>`` to a log file the test reads (see wf_steps._append).
"""

from __future__ import annotations

import asyncio
import os

from wf_steps import _append

import goblins


@goblins.activity
async def note(path: str, text: str) -> str:
    _append(path, f"{text}:{os.getpid()}")
    return text


@goblins.activity
async def hang_once(path: str, marker: str, text: str) -> str:
    """Notes its start; its first execution (no ``marker`` yet) then hangs for 4 s, long enough
    for the test to kill the worker; later ones return at once."""
    _append(path, f"{text} start:{os.getpid()}")
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return text
    os.close(fd)
    await asyncio.sleep(4)
    _append(path, f"{text} end:{os.getpid()}")
    return text


@goblins.workflow(name="local_kill")
async def local_kill(path: str, marker: str) -> list[str]:
    """A local activity recorded in one task, a durable timer, then one that hangs (and is
    killed), then one more."""
    first = await goblins.workflow.execute_local_activity(note, path, "first")
    await goblins.workflow.sleep(0.2)
    second = await goblins.workflow.execute_local_activity(hang_once, path, marker, "second")
    third = await goblins.workflow.execute_local_activity(note, path, "third")
    return [first, second, third]
