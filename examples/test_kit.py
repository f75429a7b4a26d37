"""The test kit: run the reminder workflow in-process; its day-long timer passes in milliseconds.

python -m examples.test_kit
"""

from __future__ import annotations

import asyncio
import time

import goblins.testing
from examples.reminder import reminder, send_reminder


async def main() -> str:
    async with goblins.testing.WorkflowEnvironment(workflows=[reminder], activities=[send_reminder]) as env:
        t0 = time.monotonic()
        result: str = await env.client.execute_workflow(reminder, "ada", "stretch", 24 * 3600, timeout=10)
        handle_history = await env.client.get_workflow_handle(
            (await env.client.list_workflows(limit=1))[0].run_id
        ).history()
    goblins.testing.replay(handle_history, reminder)  # the recorded run still replays
    print(f"{result} (a day of waiting took {time.monotonic() - t0:.2f}s)")
    return result


if __name__ == "__main__":
    asyncio.run(main())
