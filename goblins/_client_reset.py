"""``WorkflowHandle.reset``: the client's side of a reset (docs/reset.md)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from goblins.api import v1 as pb

if TYPE_CHECKING:
    from goblins._handle import WorkflowHandle

T = TypeVar("T")


async def reset_run(
    handle: WorkflowHandle[T],
    to_step: int | None,
    to_last_workflow_task: bool,
    reason: str,
    reapply_signals: bool,
    timeout: float | datetime.timedelta | None,
) -> WorkflowHandle[T]:
    """Ask the server to reset the run ``handle`` addresses; a handle pinned to the new run."""
    from goblins._handle import WorkflowHandle

    if (to_step is None) == (not to_last_workflow_task):
        raise ValueError("reset needs exactly one point: to_step=N or to_last_workflow_task=True")
    if to_step is not None and (not isinstance(to_step, int) or isinstance(to_step, bool) or to_step < 1):
        raise ValueError(f"to_step must be an int >= 1 (an event's seq), got {to_step!r}")
    request = pb.ResetWorkflowRequest(
        to_seq=to_step or 0,
        to_last_workflow_task=to_last_workflow_task,
        reason=reason,
        drop_signals=not reapply_signals,
        **handle._target(),
    )
    resp: Any = await handle._client._call("ResetWorkflow", request, timeout)
    return WorkflowHandle(
        handle._client, resp.run_id, handle._result_type, started=True, id=resp.workflow_id, pinned=True
    )
