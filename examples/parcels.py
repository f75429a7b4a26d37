"""Visibility: list runs by status and workflow name, read a run's history, get its result.

Three parcels: one is delivered (COMPLETED), one has a bad code (FAILED), one waits for its
delivery signal (RUNNING) until the example sends it.

    goblins server
    goblins worker examples.parcels
    python -m examples.parcels
    # then: goblins workflow list --name parcel --status RUNNING --limit 10
    #       goblins workflow show RUN_ID
"""

from __future__ import annotations

import asyncio
import os
import uuid

import goblins


@goblins.activity
async def deliver(code: str) -> str:
    return f"{code} delivered"


@goblins.workflow(name="parcel")
async def parcel(code: str, at_door: bool) -> str:
    if not code.isalnum():
        # ApplicationError ends the run; any other exception would be taken for a bug and fail
        # only the workflow task, retried until fixed code is deployed (docs/failures.md).
        raise goblins.ApplicationError(f"bad parcel code {code!r}", type="BadParcelCode")
    if not at_door:
        await goblins.workflow.wait_for_signal("arrived")
    delivered: str = await goblins.workflow.execute_activity(deliver, code)
    return delivered


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> list[str]:
    lines: list[str] = []
    batch = uuid.uuid4().hex[:8]  # run ids of our own: other runs of "parcel" may share the server
    async with await goblins.Client.connect(server) as client:
        handles = {
            code: await client.start_workflow(parcel, code, code != "C3", run_id=f"{batch}-{code}")
            for code in ("A1", "B-2", "C3")
        }
        ours = {h.run_id: code for code, h in handles.items()}

        async def listing() -> None:
            for status in ("RUNNING", "COMPLETED", "FAILED"):
                runs = await client.list_workflows(status=status, workflow_name="parcel", limit=100)  # newest first
                lines.append(f"{status}: {sorted(ours[r.run_id] for r in runs if r.run_id in ours)}")

        await handles["A1"].result(timeout=30)
        try:
            await handles["B-2"].result(timeout=30)
        except goblins.WorkflowFailed as exc:
            lines.append(f"B-2 failed: {exc.error}")
        await listing()
        events = await handles["A1"].history()  # oldest first
        lines.append("A1: " + " ".join(e.type.value for e in events))
        await handles["C3"].signal("arrived")
        lines.append(await handles["C3"].result(timeout=30))
        await listing()
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    asyncio.run(main())
