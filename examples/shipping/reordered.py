"""A change that is NOT safe for running runs (what the deploy gate is for): it notifies before
it makes the label, so every run's step 1 no longer matches its history."""

from __future__ import annotations

import goblins
from examples.shipping.activities import notify, print_label


@goblins.workflow(name="shipping")
async def shipping(order: str) -> str:
    await goblins.workflow.execute_activity(notify, order, "a label to come", start_to_close_timeout=30)
    label = await goblins.workflow.execute_activity(print_label, order, start_to_close_timeout=30)
    await goblins.workflow.wait_for_signal("picked_up")
    return label
