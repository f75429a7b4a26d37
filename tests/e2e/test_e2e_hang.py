"""A worker that hangs (SIGSTOP) while it holds tasks.

- After start_to_close_timeout the server times the attempt out, and the retry runs on the
  other worker rather than on the hung one.
- The server's keepalive drops a frozen worker within seconds, and redelivers what it held
  long before a long start_to_close_timeout.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from e2e_support import Cluster, Proc, async_wait_until, read_lines

pytestmark = pytest.mark.e2e


@contextmanager
def frozen(proc: Proc) -> Iterator[float]:
    """SIGSTOP ``proc`` for the block (yields the time it stopped); SIGCONT after, whatever happens."""
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield time.time()
    finally:
        os.kill(proc.pid, signal.SIGCONT)


async def test_hung_worker_attempt_times_out_and_retries_on_the_other_worker(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "hold.log"
    run_id, timeout = "hang-timeout", 2.0
    cluster.start_server()
    workers = {w.pid: w for w in (cluster.start_worker("wf_steps"), cluster.start_worker("wf_steps"))}
    async with await cluster.client() as client:
        handle = await client.start_workflow("hold_one", str(log), run_id, 0.2, timeout, run_id=run_id)
        await async_wait_until(lambda: read_lines(log), 10, "the activity to start")
        hung = workers.pop(int(read_lines(log)[0][2]))
        (healthy,) = workers.values()
        with frozen(hung) as t_stop:
            result = await handle.result(timeout=20)
            t_done = time.time()
            events = await handle.history()

    assert result == f"{run_id}-0-{healthy.pid}"
    errors = [e for e in events if str(e.type) == "ACTIVITY_FINISHED_IN_ERROR"]
    assert [(e.attributes["attempt"], e.failure.type) for e in errors] == [(1, "TimeoutError")]
    assert f"did not finish within {timeout:g}s" in errors[0].failure.message
    success = [e for e in events if str(e.type) == "ACTIVITY_FINISHED_IN_SUCCESS"]
    assert [e.attributes["attempt"] for e in success] == [2]
    # A worker reports an attempt's start 20 ms into it (or with its result): one frozen sooner
    # never did, and its lease ran from the dispatch, after the step was scheduled.
    started = next(
        (e for e in events if str(e.type) == "ACTIVITY_STARTED" and e.attributes["attempt"] == 1),
        next(e for e in events if str(e.type) == "ACTIVITY_SCHEDULED"),
    )
    assert errors[0].time - started.time >= timeout - 0.1
    assert t_done - t_stop < timeout + 3.0
    measure(
        f"hung worker (SIGSTOP): attempt 1 timed out {errors[0].time - started.time:.2f}s after it "
        f"started (start_to_close_timeout {timeout:g}s); attempt 2 ran on the other worker; done "
        f"{t_done - t_stop:.2f}s after the freeze"
    )


async def test_frozen_worker_dropped_by_keepalive_and_its_tasks_redelivered(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "hold.log"
    run_id, count = "frozen", 4
    cluster.start_server()
    frozen_worker = cluster.start_worker("wf_steps")
    other = cluster.start_worker("wf_steps")
    async with await cluster.client() as client:
        handle = await client.start_workflow("fan_out", str(log), run_id, count, 0.5, run_id=run_id)
        await async_wait_until(lambda: len(read_lines(log)) >= count, 10, "all activities to start")
        held = {int(f[1]) for f in read_lines(log) if int(f[2]) == frozen_worker.pid}
        assert held and len(held) < count
        with frozen(frozen_worker) as t_stop:
            await async_wait_until(
                lambda: cluster.server_saw_disconnect(frozen_worker), 20, "the server to drop the frozen worker"
            )
            t_dropped = time.time()
            result = await handle.result(timeout=10)
            t_done = time.time()

    assert result == [f"{run_id}-{i}-{other.pid}" for i in range(count)]
    assert t_done - t_stop < 20, "redelivered long before start_to_close_timeout (60 s)"
    measure(
        f"frozen worker (SIGSTOP) holding {len(held)} tasks: dropped by the server's keepalive "
        f"{t_dropped - t_stop:.1f}s after the freeze; run done {t_done - t_stop:.1f}s after it "
        f"(start_to_close_timeout 60s)"
    )
