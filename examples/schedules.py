"""Schedules: a report every second (a cron expression works the same), watched as it runs.

goblins server
goblins worker examples.schedules
python -m examples.schedules
"""

from __future__ import annotations

import asyncio
import datetime
import os

import goblins


@goblins.activity
async def build_report(region: str) -> str:
    return f"report for {region}"


@goblins.workflow(name="daily_report")
async def daily_report(region: str) -> str:
    return await goblins.workflow.execute_activity(build_report, region)


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> None:
    async with await goblins.Client.connect(server) as client:
        # In production: cron="0 6 * * *", timezone="Europe/Paris" (06:00 in Paris, every day).
        schedule = await client.create_schedule(
            "report-north",
            daily_report,
            "north",
            every=datetime.timedelta(seconds=1),
            overlap=goblins.ScheduleOverlap.SKIP,  # never two reports at once
            catchup_window=datetime.timedelta(minutes=10),  # after an outage, catch up 10 minutes at most
        )
        while (d := await schedule.describe()).actions < 3 or d.recent_actions[0].status != "COMPLETED":
            await asyncio.sleep(0.2)
        await schedule.pause("enough for the example")
        d = await schedule.describe()
        print(f"{d.id}: {d.actions} actions, paused: {d.paused} ({d.note})")
        for action in sorted(d.recent_actions, key=lambda a: a.scheduled_time)[:3]:
            # The workflow id names the scheduled time: a time never starts two runs.
            run = client.get_workflow_handle(action.workflow_id)
            print(f"{action.workflow_id.startswith('report-north-20')} {await run.result()}")
        await schedule.delete()
        print(f"schedules left: {len(await client.list_schedules())}")


if __name__ == "__main__":
    asyncio.run(main())
