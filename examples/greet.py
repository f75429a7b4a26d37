"""The original goblins example: a greeting whose activity fails 90% of the time.

The server retries it until it succeeds; `goblins workflow show RUN_ID` shows every attempt.

    goblins server                       # terminal 1
    goblins worker examples.greet        # terminal 2
    python -m examples.greet "Green Got" # terminal 3
"""

from __future__ import annotations

import asyncio
import os
import random
import sys

import goblins


@goblins.activity(name="greetActivity")
async def greet(name: str) -> str:
    if random.random() < 0.9:
        raise RuntimeError("the goblin dropped the greeting")
    return f"Hello {name}"


@goblins.workflow(name="greet")
async def greeting(name: str) -> str:
    return await goblins.workflow.execute_activity(
        greet,
        name,
        # Fast retries for the demo; 0.9 ** 200 makes a final failure vanishingly unlikely.
        retry_policy=goblins.RetryPolicy(maximum_attempts=200, initial_interval=0.01, maximum_interval=0.05),
        start_to_close_timeout=30,
    )


async def main(name: str = "Green Got", server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> str:
    client = await goblins.Client.connect(server)
    handle = await client.start_workflow(greeting, name)
    result: str = await handle.result(timeout=60)
    print(handle.run_id, result)
    await client.close()
    return result


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
