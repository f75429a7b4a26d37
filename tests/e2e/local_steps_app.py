"""An application that hosts goblins in its own process (LocalServer) and runs the `steps`
workflow of wf_steps to its end: ``python local_steps_app.py DB LOG RUN_ID COUNT``.

Killed with -9 and started again with the same arguments, it picks the same run up (the
start is idempotent by run id) and prints ``RESULT <json>`` once the run has finished.
"""

from __future__ import annotations

import asyncio
import json
import sys

import wf_steps

import goblins


async def main(db: str, log: str, run_id: str, count: int) -> None:
    async with goblins.LocalServer(db, workflows=[wf_steps.steps], activities=[wf_steps.step]) as local:
        print("STARTED", flush=True)
        handle = await local.client.start_workflow(wf_steps.steps, log, run_id, count, run_id=run_id)
        result = await handle.result(timeout=120)
        print("RESULT", json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
