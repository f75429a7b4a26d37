"""Workflows and activities the integration tests run (module level: annotations must resolve).

Activities count their executions in ``EXECUTIONS`` (keyed by the activity's argument) and can
be held at a ``Gate`` so a test acts while a run is provably mid-flight.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import threading

import pydantic

import goblins

EXECUTIONS: collections.Counter[str] = collections.Counter()
THREADS: list[int] = []


class Gate:
    """Holds activities whose key is in ``keys`` until released."""

    def __init__(self, *keys: str) -> None:
        self.keys = set(keys)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def pass_through(self, key: str) -> None:
        if key in self.keys:
            self.entered.set()
            await self.release.wait()


GATE = Gate()
# Releases a thread held by a sync activity (threads cannot be cancelled).
THREAD_GATE = threading.Event()


def reset() -> None:
    global GATE, OCCUPANCY
    OCCUPANCY = Occupancy()
    EXECUTIONS.clear()
    THREADS.clear()
    GATE = Gate()
    THREAD_GATE.clear()


def gate(*keys: str) -> Gate:
    global GATE
    GATE = Gate(*keys)
    return GATE


FAST = goblins.RetryPolicy(maximum_attempts=3, initial_interval=0.01, maximum_interval=0.05)


# ---- greet ----


@goblins.activity(name="greetActivity")
async def greet(name: str) -> str:
    EXECUTIONS[name] += 1
    await GATE.pass_through(name)
    return f"Hello {name}"


@goblins.workflow(name="greet")
async def greeting(name: str) -> str:
    result: str = await goblins.workflow.execute_activity(greet, name, retry_policy=FAST, start_to_close_timeout=30)
    return result


# ---- sequential steps ----


@goblins.activity
async def step(key: str) -> str:
    EXECUTIONS[key] += 1
    await GATE.pass_through(key)
    return f"done {key}"


@goblins.workflow
async def steps(prefix: str, n: int) -> list[str]:
    return [await goblins.workflow.execute_activity(step, f"{prefix}-{i}", retry_policy=FAST) for i in range(n)]


# ---- errors ----


@goblins.workflow(failure_exception_types=[ValueError])  # ends the run (any other error: the task)
async def raises(text: str) -> None:
    raise ValueError(f"workflow says {text}")


@goblins.activity
async def always_fails(key: str) -> None:
    EXECUTIONS[key] += 1
    raise KeyError(f"no such sku {key}")


@goblins.workflow
async def catches(key: str) -> str:
    try:
        await goblins.workflow.execute_activity(
            always_fails, key, retry_policy=goblins.RetryPolicy(maximum_attempts=2, initial_interval=0.01)
        )
    except goblins.ActivityFailed as exc:
        return f"caught {exc.error_type}: {exc}"
    return "not caught"


@goblins.activity
async def fails_then_succeeds(key: str, failures: int) -> int:
    EXECUTIONS[key] += 1
    attempt = EXECUTIONS[key]
    if attempt <= failures:
        raise RuntimeError(f"flaky attempt {attempt}")
    return attempt


@goblins.workflow
async def backoff(key: str, failures: int, initial_interval: float) -> int:
    policy = goblins.RetryPolicy(
        maximum_attempts=failures + 1, initial_interval=initial_interval, backoff_coefficient=2
    )
    return int(await goblins.workflow.execute_activity(fails_then_succeeds, key, failures, retry_policy=policy))


# ---- timeouts ----


@goblins.activity
async def hangs_first(key: str) -> str:
    EXECUTIONS[key] += 1
    if EXECUTIONS[key] == 1:
        await asyncio.sleep(3600)
    return f"attempt {EXECUTIONS[key]}"


@goblins.activity
def blocks_first(key: str) -> str:
    EXECUTIONS[key] += 1
    if EXECUTIONS[key] == 1:
        THREAD_GATE.wait(30)
        return "late first attempt"
    return f"attempt {EXECUTIONS[key]}"


@goblins.workflow
async def with_timeout(key: str, sync: bool) -> str:
    fn = blocks_first if sync else hangs_first
    policy = goblins.RetryPolicy(maximum_attempts=3, initial_interval=0.05)
    return str(await goblins.workflow.execute_activity(fn, key, retry_policy=policy, start_to_close_timeout=0.5))


# ---- types ----


@dataclasses.dataclass
class Line:
    sku: str
    quantity: int


@dataclasses.dataclass
class Order:
    order_id: str
    lines: list[Line]


class Receipt(pydantic.BaseModel):
    order_id: str
    total: int
    skus: list[str]


@goblins.activity
def price(line: Line) -> int:  # a plain def: runs in a worker thread
    assert isinstance(line, Line)
    THREADS.append(threading.get_ident())
    return line.quantity * 10


@goblins.workflow
async def checkout(order: Order) -> Receipt:
    assert isinstance(order, Order) and isinstance(order.lines[0], Line)
    totals = await asyncio.gather(*(goblins.workflow.execute_activity(price, line) for line in order.lines))
    return Receipt(order_id=order.order_id, total=sum(totals), skus=[line.sku for line in order.lines])


# ---- parallel ----


class Rendezvous:
    """Completes only once ``n`` activities are running at the same time."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.arrived = 0
        self.all_here = asyncio.Event()


RENDEZVOUS: dict[str, Rendezvous] = {}


@goblins.activity
async def meet(group: str, i: int) -> int:
    r = RENDEZVOUS[group]
    r.arrived += 1
    if r.arrived == r.n:
        r.all_here.set()
    await asyncio.wait_for(r.all_here.wait(), 10)
    return i * i


@goblins.workflow
async def fan_out(group: str, n: int) -> list[int]:
    return list(await asyncio.gather(*(goblins.workflow.execute_activity(meet, group, i) for i in range(n))))


# ---- nondeterminism: two versions of one workflow ----


@goblins.workflow(name="versioned")
async def versioned_v1(key: str) -> str:
    first = await goblins.workflow.execute_activity(step, f"{key}-a")
    second = await goblins.workflow.execute_activity(step, f"{key}-b")
    return f"{first}, {second}"


@goblins.activity
async def other_step(key: str) -> str:
    EXECUTIONS[f"other {key}"] += 1
    return key


@goblins.workflow(name="versioned")
async def versioned_v2(key: str) -> str:
    first = await goblins.workflow.execute_activity(other_step, f"{key}-a")  # changed: not replay-compatible
    return str(first)


# ---- concurrency ----


class Occupancy:
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0


OCCUPANCY = Occupancy()


@goblins.activity
async def occupy(i: int) -> int:
    OCCUPANCY.now += 1
    OCCUPANCY.peak = max(OCCUPANCY.peak, OCCUPANCY.now)
    try:
        await asyncio.sleep(0.02)  # the work: holds a slot for a while
    finally:
        OCCUPANCY.now -= 1
    return i


@goblins.workflow
async def occupied(n: int) -> list[int]:
    return list(await asyncio.gather(*(goblins.workflow.execute_activity(occupy, i) for i in range(n))))


@goblins.workflow
async def leaves_one_behind(key: str) -> str:
    slow = goblins.workflow.execute_activity(step, f"{key}-slow")
    try:
        once = goblins.RetryPolicy(maximum_attempts=1)
        await goblins.workflow.execute_activity(always_fails, f"{key}-fails", retry_policy=once)
    except goblins.ActivityFailed:
        pass
    del slow  # finished without waiting for it
    return "left"
