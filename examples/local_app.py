"""The in-process mode: an application that hosts goblins itself, on a SQLite file, with no
server or worker process beside it.

    python -m examples.local_app ada            # runs the onboarding of ada, prints each step
    python -m examples.local_app ada            # again: the run is in app.db, no step runs twice

Kill it (kill -9) while it runs and start it again: the run resumes where it was.
"""

from __future__ import annotations

import asyncio
import sys

import goblins


@goblins.activity
async def create_account(user: str) -> str:
    print(f"step: create the account of {user}", flush=True)
    return f"acct-{user}"


@goblins.activity
async def send_welcome(user: str, account: str) -> str:
    print(f"step: welcome {user} ({account})", flush=True)
    return f"welcome sent to {user}"


@goblins.workflow(name="onboard")
async def onboard(user: str) -> str:
    account = await goblins.workflow.execute_activity(create_account, user)
    plan = await goblins.workflow.wait_for_signal("plan", timeout=3600)  # a durable wait
    await goblins.workflow.execute_activity(send_welcome, user, account)
    return f"{user} onboarded on {plan} ({account})"


async def main(user: str = "ada", db: str = "app.db") -> str:
    async with goblins.LocalServer(db, workflows=[onboard], activities=[create_account, send_welcome]) as local:
        # One run per user: starting it again (after a crash, or a second time) finds the same run.
        handle = await local.client.start_workflow(onboard, user, run_id=f"onboard-{user}")
        if not await _finished(local.client, handle.run_id):
            await handle.signal("plan", "pro")
        result = await handle.result(timeout=60)
        events = await handle.history()
    print(f"{result}; {len(events)} events in {db}")
    return result


async def _finished(client: goblins.Client, run_id: str) -> bool:
    runs = await client.list_workflows(workflow_name="onboard")
    return any(r.run_id == run_id and r.status != "RUNNING" for r in runs)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:3]))
