"""The continue-as-new, timeouts, visibility and determinism examples run as their docs say
(separate server, worker and client processes), and print exactly what the docs show."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable

import pytest
from e2e_support import REPO, Cluster

pytestmark = pytest.mark.e2e


def test_feed_example_continues_as_new(cluster: Cluster, measure: Callable[[str], None]) -> None:
    cluster.start_server()
    cluster.start_worker("examples.feed", cwd=REPO)
    t0 = time.monotonic()
    done = cluster.python("-m", "examples.feed")
    measure(f"examples.feed: {time.monotonic() - t0:.2f}s")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    run = lines[0].split(":")[0]
    assert lines == [
        f"{run}: pages [0, 1, 2], 12 events, continued as {run}~2",
        f"{run}~2: pages [3, 4, 5], 12 events, continued as {run}~3",
        f"{run}~3: pages [6, 7, 8], 12 events, returned",
        "read 8 pages, 40 items in 3 runs",
    ]
    result = cluster.cli("workflow", "result", run)  # follows the chain, as the docs say
    assert (result.returncode, result.stdout) == (0, '"read 8 pages, 40 items"\n'), result.stderr
    show = cluster.cli("workflow", "show", run, "--run-id", run)  # the first run (the id: the newest)
    assert show.returncode == 0 and show.stdout.splitlines()[-1].endswith(f"continued as {run}~2"), show.stderr
    listed = cluster.cli("workflow", "list", "--name", "read_feed")
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert sorted((r[0], r[2]) for r in rows) == [
        (run, "CONTINUED_AS_NEW"),
        (f"{run}~2", "CONTINUED_AS_NEW"),
        (f"{run}~3", "COMPLETED"),
    ]


def test_deadlines_example(cluster: Cluster, measure: Callable[[str], None]) -> None:
    cluster.start_server()
    cluster.start_worker("examples.deadlines", cwd=REPO)
    t0 = time.monotonic()
    done = cluster.python("-m", "examples.deadlines")
    elapsed = time.monotonic() - t0
    measure(f"examples.deadlines: {elapsed:.2f}s")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "acme: 42 on attempt 1",
        "sleepy: 42 on attempt 2",
        "slowpoke: no quote (TimeoutError after 1 attempt)",
        "offer: WorkflowTimedOut: the run took longer than its execution_timeout of 1s",
    ]
    assert elapsed < 20, "slowpoke's 1 s schedule_to_close did not cut its 5 s attempt"


def test_parcels_example(cluster: Cluster) -> None:
    cluster.start_server()
    cluster.start_worker("examples.parcels", cwd=REPO)
    for _ in range(2):  # a second run on the same server lists only its own parcels
        done = cluster.python("-m", "examples.parcels")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            "B-2 failed: BadParcelCode: bad parcel code 'B-2'",
            "RUNNING: ['C3']",
            "COMPLETED: ['A1']",
            "FAILED: ['B-2']",
            "A1: WORKFLOW_SCHEDULED WORKFLOW_STARTED ACTIVITY_SCHEDULED ACTIVITY_STARTED "
            "ACTIVITY_FINISHED_IN_SUCCESS WORKFLOW_FINISHED_IN_SUCCESS",
            "C3 delivered",
            "RUNNING: []",
            "COMPLETED: ['A1', 'C3']",
            "FAILED: ['B-2']",
        ]
    listed = cluster.cli("workflow", "list", "--name", "parcel", "--status", "FAILED", "--limit", "1")
    rows = listed.stdout.splitlines()
    assert listed.returncode == 0 and len(rows) == 2 and rows[0].split()[:2] == ["RUN", "ID"], listed.stderr
    assert rows[1].split()[0].endswith("-B-2") and rows[1].split()[1:3] == ["parcel", "FAILED"]
    show = cluster.cli("workflow", "show", rows[1].split()[0])
    assert show.returncode == 0 and "BadParcelCode: bad parcel code 'B-2'" in show.stdout, show.stderr


def expected_draw(run_id: str, entrants: list[str]) -> tuple[str, str]:
    """The raffle's draw, from its run id alone: goblins seeds the run's generator with it."""
    rng = random.Random(run_id)
    winner = entrants[int(rng.random() * len(entrants))]
    return winner, str(uuid.UUID(int=rng.getrandbits(128), version=4))


ENTRANTS = ["ada", "bob", "cyd", "dee", "eve"]


def test_raffle_example(cluster: Cluster) -> None:
    cluster.start_server()
    cluster.start_worker("examples.raffle", cwd=REPO)
    done = cluster.python("-m", "examples.raffle")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    run = lines[0].split(":")[0]
    winner, ticket = expected_draw(run, ENTRANTS)
    assert lines == [
        f"{run}: announced {winner}, ticket {ticket}",
        f"{winner} claimed ticket {ticket}",
        "drawn at the run's first event",
        "replayed from its history: the same draw",
        "with datetime.now(), random and uuid.uuid4(): NondeterminismError",
    ]


async def test_raffle_is_drawn_again_alike_by_a_new_worker(cluster: Cluster) -> None:
    """The docstring's by-hand commands, with a kill -9 of the worker while the run waits for
    the claim: the new worker replays the history, draws again, and draws the same."""
    cluster.start_server()
    worker = cluster.start_worker("examples.raffle", cwd=REPO)
    started = cluster.cli("workflow", "start", "raffle", "--input", json.dumps(ENTRANTS), "--run-id", "raffle-kill")
    assert started.returncode == 0, started.stderr
    winner, ticket = expected_draw("raffle-kill", ENTRANTS)
    async with await cluster.client() as client:
        handle = client.get_workflow_handle("raffle-kill")
        for _ in range(500):  # the claim's timeout timer: the run waits for the signal
            if any(e.type.value == "TIMER_STARTED" for e in await handle.history()):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the raffle never waited for its claim")
        announced = next(e for e in await handle.history() if e.type.value == "ACTIVITY_SCHEDULED")
        assert announced.input == [winner, ticket]
    shown = cluster.cli("workflow", "show", "raffle-kill")
    assert f'["{winner}"' in shown.stdout, shown.stdout
    worker.kill9()
    cluster.start_worker("examples.raffle", cwd=REPO)
    claimed = cluster.cli("workflow", "signal", "raffle-kill", "claim", "--input", json.dumps(winner))
    assert claimed.returncode == 0, claimed.stderr
    result = cluster.cli("workflow", "result", "raffle-kill", "--timeout", "30")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0] == f"{winner} claimed ticket {ticket}"


def test_account_example_updates(cluster: Cluster, measure: Callable[[str], None]) -> None:
    cluster.start_server()
    cluster.start_worker("examples.account", cwd=REPO)
    t0 = time.monotonic()
    done = cluster.python("-m", "examples.account")
    measure(f"examples.account: {time.monotonic() - t0:.2f}s")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "deposit 100 -> 100",
        "withdraw 30 -> 70",
        "withdraw 500 rejected: ValueError: balance 70 does not cover 500",
        "balance: 70 | updates recorded: 2",
    ]


def test_orders_search_example(cluster: Cluster) -> None:
    cluster.start_server()
    cluster.start_worker("examples.orders_search", cwd=REPO)
    done = cluster.python("-m", "examples.orders_search")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "search-order-1 310.0 paid",
        "search-order-0 42.5 paid",
        "shipped to c-17",
        "over 50: 1",
        "query error at column 31: expected a value (a 'string', a number, true or false), got the end of the query",
    ]


@pytest.mark.both_modes
def test_schedules_example(cluster: Cluster, measure: Callable[[str], None]) -> None:
    cluster.start_server()
    cluster.start_worker("examples.schedules", cwd=REPO)
    t0 = time.monotonic()
    done = cluster.python("-m", "examples.schedules", timeout=cluster.patience + 30)
    measure(f"examples.schedules ({cluster.mode}): {time.monotonic() - t0:.2f}s")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("report-north: ") and lines[0].endswith("paused: True (enough for the example)")
    assert lines[1:] == ["True report for north"] * 3 + ["schedules left: 0"]
