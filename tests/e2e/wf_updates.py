"""Workflows for the update kill tests, hosted by `goblins worker wf_updates`.

Activities append ``<text>:<pid>`` to a log file the test reads (see wf_steps._append).
"""

from __future__ import annotations

import os

from wf_steps import _append

import goblins
from goblins.workflow import Update

# counter's update, typed (docs/typing.md): registered and called by this definition or by name.
ADD = Update[[int], int]("add")


@goblins.activity
async def note(path: str, text: str) -> str:
    _append(path, f"{text}:{os.getpid()}")
    return text


@goblins.workflow(name="ledger")
async def ledger(path: str) -> int:
    """A balance changed by the update ``deposit``, which notes it and then waits for the signal
    ``confirm`` (so a test can kill processes while the update is in flight); ``close`` ends it."""
    balance = 0

    def positive(amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"a deposit must be positive, got {amount}")

    async def deposit(amount: int) -> int:
        nonlocal balance
        balance += amount  # the workflow's state: changed once per accepted update, replay included
        await goblins.workflow.execute_activity(note, path, f"deposit {amount}", start_to_close_timeout=30)
        await goblins.workflow.wait_for_signal("confirm")
        return balance

    goblins.workflow.set_update_handler("deposit", deposit, validator=positive)
    goblins.workflow.set_query_handler("balance", lambda: balance)
    await goblins.workflow.wait_for_signal("close")
    return balance


@goblins.workflow(name="counter")
async def counter(start: int) -> int:
    """``add`` (an update, validated: positive) and ``bump`` (a signal) add to a total."""
    total = start

    def positive(n: int) -> None:
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")

    def add(n: int) -> int:
        nonlocal total
        total += n
        return total

    goblins.workflow.set_update_handler(ADD, add, validator=positive)
    while (n := await goblins.workflow.wait_for_signal("bump")) != 0:
        total += n
    return total
