"""The story run against the secured Kafka and Cassandra (test_distributed_secure.py)."""

from __future__ import annotations

import goblins


@goblins.activity
async def greet(name: str) -> str:
    return f"hello {name}"


@goblins.workflow(name="secure_story")
async def secure_story(name: str) -> list[str]:
    """An activity, a signal, a durable timer, another activity."""
    first = await goblins.workflow.execute_activity(greet, name)
    who = await goblins.workflow.wait_for_signal("approve")
    await goblins.workflow.sleep(0.3)
    second = await goblins.workflow.execute_activity(greet, who)
    return [first, second]
