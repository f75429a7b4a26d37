"""Contract suites for the server's ports, shipped so that every adapter (ours or yours) proves
it conforms. Subclass a suite in a pytest module and provide its fixture:

    class TestMyStore(EventStoreContract):
        keeps_tasks = True

        @pytest.fixture
        async def store(self, tmp_path):
            s = MyStore(tmp_path / "x")
            yield s
            await s.close()

- ``EventStoreContract`` (fixture ``store``): EventStore and RunIndex;
- ``TaskQueueContract`` (fixture ``harness``, a ``TaskQueueHarness``): delivery to workers;
- ``RouterContract`` (fixture ``harness``, a ``RouterHarness``): starts and reports to the owner;
- ``TimersContract`` (fixture ``harness``, a ``TimersHarness``): firing when due.

The requirements checked are numbered in ``goblins.server.ports``. Every test uses its own run
ids and names, so a shared (non-empty) backend works too. ``RecordingInbox`` stands in for the
event loop where an adapter needs one.
"""

from goblins.testing_contract._common import FakeClock, RecordingInbox
from goblins.testing_contract._queue import TaskQueueContract, TaskQueueHarness, TaskWorker
from goblins.testing_contract._router import RouterContract, RouterHarness
from goblins.testing_contract._store import EventStoreContract, Store
from goblins.testing_contract._timers import TimersContract, TimersHarness

__all__ = [
    "EventStoreContract",
    "FakeClock",
    "RecordingInbox",
    "RouterContract",
    "RouterHarness",
    "Store",
    "TaskQueueContract",
    "TaskQueueHarness",
    "TaskWorker",
    "TimersContract",
    "TimersHarness",
]
