"""Durable timers: wait, then remind. The wait survives any crash of worker or server.

goblins server
goblins worker examples.reminder
python -m examples.reminder 2        # remind after 2 seconds (try a kill -9 meanwhile)
"""

from __future__ import annotations

import asyncio
import datetime
import os
import sys

import goblins


@goblins.activity
async def send_reminder(who: str, what: str) -> str:
    return f"reminded {who} to {what}"


@goblins.workflow(name="reminder")
async def reminder(who: str, what: str, seconds: float) -> str:
    await goblins.workflow.sleep(datetime.timedelta(seconds=seconds))  # a server-side timer, not a thread
    return await goblins.workflow.execute_activity(send_reminder, who, what)


async def main(seconds: float = 1.0, server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> str:
    async with await goblins.Client.connect(server) as client:
        result: str = await client.execute_workflow(reminder, "ada", "water the plants", seconds, timeout=60 + seconds)
    print(result)
    return result


if __name__ == "__main__":
    asyncio.run(main(*(float(a) for a in sys.argv[1:2])))
