"""A workflow with a bug, hosted by `goblins worker wf_failures`; `wf_failures_fixed` is the
same code after the fix is deployed (what the worker imports decides, as a deployment does)."""

from __future__ import annotations

import goblins

FIXED = False  # the deployed code: wf_failures_fixed sets it before any task runs


@goblins.activity(name="failures.reserve")
async def reserve(order: str) -> str:
    return f"{order} reserved"


@goblins.workflow(name="failures.bug")
async def bug(order: str) -> str:
    reserved = await goblins.workflow.execute_activity(reserve, order)
    if not FIXED:
        return undefined_name  # type: ignore[name-defined]  # noqa: F821
    return f"{reserved}, shipped"
