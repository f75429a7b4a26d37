"""The shipping workflow before any change (see examples/shipping/__init__.py)."""

from __future__ import annotations

import goblins
from examples.shipping.activities import notify, print_label


@goblins.workflow(name="shipping")
async def shipping(order: str) -> str:
    label = await goblins.workflow.execute_activity(print_label, order, start_to_close_timeout=30)
    await goblins.workflow.wait_for_signal("picked_up")
    return await goblins.workflow.execute_activity(notify, order, label, start_to_close_timeout=30)
