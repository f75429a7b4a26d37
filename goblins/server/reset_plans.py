"""The loop's side of a reset: the new run's owner reads the old run's history before deciding.

The history is read by the new run's owner when the start reaches it (in the distributed mode,
through the broker, maybe on another server than the one that took the request): by then the
old run has ended, so every signal it received is in the copy. The copy's prefix is immutable
(the events through the point were committed before the request was checked), so the point
checked by the request's server is valid here too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from goblins.server.items import Item, _Start
from goblins.server.ports import EventStore
from goblins.server.reset import BadResetPoint, plan_reset

log = logging.getLogger("goblins.server")


async def plan_resets(store: EventStore, runs: Mapping[str, Any], items: list[Item], now: float) -> None:
    """Fill in ``reset_events`` of the reset starts among ``items`` (runs not made yet)."""
    for item in items:
        if not isinstance(item, _Start) or item.reset is None or item.reset_events is not None:
            continue
        if item.run_id in runs:
            continue  # a resent start of a run that exists: nothing to copy
        reset = item.reset
        old = await store.history(reset.run_id) or []
        try:
            plan = plan_reset(
                old,
                reset.to_seq,
                item.run_id,
                now,
                workflow_id=reset.new_workflow_id,
                reason=reset.reason,
                reapply_signals=not reset.drop_signals,
            )
        except (BadResetPoint, IndexError) as exc:  # checked before: only a store that lost events
            log.error("reset of %s to step %d: %s; run %s starts afresh", reset.run_id, reset.to_seq, exc, item.run_id)
            item.reset_events = []
            continue
        item.reset_events = plan.events
