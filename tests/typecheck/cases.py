"""Right and wrong calls of the typed API, checked by mypy --strict (tests/unit/test_typing.py).

Never run, never collected: a type checker reads it. Each "# E: MESSAGE" comment line says
that mypy reports MESSAGE (without its error code) on the next code line, one comment per
error; "# R: TYPE" at the end of a ``reveal_type`` line says what mypy reveals. Every other
line must pass, and mypy's notes (lists of overloads, "defined here") are not compared.
The messages are mypy's own (the version in the environment): a new mypy may word them
differently, and then this file is updated with it.
"""

from __future__ import annotations

import datetime
from typing import Unpack, reveal_type

import goblins
from goblins.client import WorkflowOptions
from goblins.workflow import ActivityOptions, Query, Update, execute_activity


@goblins.activity
async def greet(name: str) -> str:
    return f"hello {name}"


@goblins.activity
def add(a: int, b: int) -> int:
    return a + b


@goblins.activity
async def pad(text: str, width: int = 10) -> str:
    return text.ljust(width)


@goblins.activity(name="tick")
def tick() -> None:
    pass


@goblins.workflow
async def order(order_id: str, amount: float) -> bool:
    return amount > 0


status = Query[[], str]("status")
item_count = Query[[str], int]("item_count")
approve = Update[[str, int], bool]("approve")
# E: "GenericAlias" not callable
spelt_out = goblins.workflow.Query[[], str]("spelt_out")  # import the definitions instead


@goblins.workflow
async def checks() -> None:
    wf = goblins.workflow
    reveal_type(await wf.execute_activity(greet, "x"))  # R: str
    reveal_type(await wf.execute_activity(add, 1, 2))  # R: int
    reveal_type(await wf.execute_activity(pad, "x"))  # R: str
    reveal_type(await wf.execute_activity(pad, "x", 4))  # R: str
    reveal_type(await wf.execute_activity(tick))  # R: None
    reveal_type(await wf.execute_activity("greet", 1, 2, 3))  # R: Any
    await wf.execute_activity(
        greet, "x", start_to_close_timeout=5, retry_policy=goblins.RetryPolicy(maximum_attempts=2)
    )
    await wf.execute_activity(greet, "x", heartbeat_timeout=datetime.timedelta(seconds=3))
    reveal_type(await execute_activity(add, 1, 2))  # R: int
    reveal_type(wf.execute_activity(greet, "x"))  # R: _asyncio.Future[str]

    # E: Argument 1 to "execute_activity" has incompatible type "Callable[[str], Coroutine[Any, Any, str]]"; expected "Callable[[int], Awaitable[str]]"
    await wf.execute_activity(greet, 1)
    # E: Too few arguments for "execute_activity"
    # E: Argument 1 to "execute_activity" has incompatible type "Callable[[str], Coroutine[Any, Any, str]]"; expected "Callable[[], Awaitable[str]]"
    await wf.execute_activity(greet)
    # E: Too many arguments for "execute_activity"
    # E: Argument 1 to "execute_activity" has incompatible type "Callable[[str], Coroutine[Any, Any, str]]"; expected "Callable[[str, str], Awaitable[str]]"
    await wf.execute_activity(greet, "a", "b")
    # E: Too many arguments for "execute_activity"
    # E: Argument 1 to "execute_activity" has incompatible type "Callable[[int, int], int]"; expected "Callable[[int, str], Awaitable[Never]]"
    await wf.execute_activity(add, 1, "2")
    # E: No overload variant of "execute_activity" matches argument types "Callable[[str], Coroutine[Any, Any, str]]", "str", "str"
    await wf.execute_activity(greet, "x", start_to_close_timeout="5s")
    # E: Unexpected keyword argument "task_queu" for overloaded function "execute_activity"; did you mean "task_queue"?
    # E: No overload variant of "execute_activity" matches argument types "Callable[[str], Coroutine[Any, Any, str]]", "str", "str"
    await wf.execute_activity(greet, "x", task_queu="gpu")
    # E: Argument 1 to "execute_activity" has incompatible type "Callable[[str], Coroutine[Any, Any, str]]"; expected "Callable[[str], Awaitable[int]]"
    _count: int = await wf.execute_activity(greet, "x")

    reveal_type(await wf.execute_child(order, "o-1", 9.5))  # R: bool
    child = await wf.start_child(order, "o-1", 9.5, run_id="c-1")
    reveal_type(child)  # R: goblins.workflow.ChildWorkflowHandle[bool]
    reveal_type(await child.result())  # R: bool
    reveal_type(await wf.execute_child("order", 1))  # R: Any
    # E: Argument 1 to "execute_child" has incompatible type "Callable[[str, float], Coroutine[Any, Any, bool]]"; expected "Callable[[str], Awaitable[bool]]"
    await wf.execute_child(order, "o-1")
    # E: Too many arguments for "start_child"
    # E: Argument 1 to "start_child" has incompatible type "Callable[[str, float], Coroutine[Any, Any, bool]]"; expected "Callable[[str, str], Awaitable[bool]]"
    await wf.start_child(order, "o-1", "9.5")

    state = "new"
    wf.set_query_handler(status, lambda: state)
    wf.set_query_handler(item_count, lambda sku: len(sku))
    wf.set_query_handler("anything", lambda *args: args)
    # E: Argument 2 to "set_query_handler" has incompatible type "Callable[[], int]"; expected "Callable[[], str]"
    # E: Incompatible return value type (got "int", expected "str")
    wf.set_query_handler(status, lambda: 3)
    # E: Cannot infer type of lambda
    # E: Argument 2 to "set_query_handler" has incompatible type "Callable[[], int]"; expected "Callable[[str], int]"
    wf.set_query_handler(item_count, lambda: 0)

    async def do_approve(who: str, level: int) -> bool:
        return level > 2

    def check_approve(who: str, level: int) -> None:
        pass

    wf.set_update_handler(approve, do_approve, check_approve)
    wf.set_update_handler(approve, lambda who, level: level > 2)
    # E: Cannot infer type of lambda
    # E: Argument 2 to "set_update_handler" has incompatible type "Callable[[Any], bool]"; expected "Callable[[str, int], Awaitable[bool]]"
    wf.set_update_handler(approve, lambda who: True)
    # E: Cannot infer type of lambda
    # E: Argument 3 to "set_update_handler" has incompatible type "Callable[[Any], None]"; expected "Callable[[str, int], object] | None"
    wf.set_update_handler(approve, do_approve, lambda who: None)
    wf.set_update_handler("approve", do_approve)

    def wrong_result(who: str, level: int) -> str:
        return who

    # E: Argument 2 to "set_update_handler" has incompatible type "Callable[[str, int], str]"; expected "Callable[[str, int], Awaitable[bool]]"
    wf.set_update_handler(approve, wrong_result)
    status()  # passes mypy, fails at run time: to a type checker a definition is a callable


async def greet_twice(name: str, **options: Unpack[ActivityOptions]) -> str:
    """A wrapper that takes execute_activity's options, typed, and passes them on."""
    first = await goblins.workflow.execute_activity(greet, name, **options)
    return first + await goblins.workflow.execute_activity(greet, name, **options)


async def run_order(client: goblins.Client, **options: Unpack[WorkflowOptions]) -> bool:
    return await client.execute_workflow(order, "o-1", 1.0, **options)


@goblins.workflow
async def wrappers() -> None:
    reveal_type(await greet_twice("x", start_to_close_timeout=3))  # R: str
    # E: Argument "retry_policy" to "greet_twice" has incompatible type "int"; expected "RetryPolicy | None"
    await greet_twice("x", retry_policy=3)


async def client_checks(client: goblins.Client) -> None:
    reveal_type(await run_order(client, id="o-1"))  # R: bool
    handle = await client.start_workflow(order, "o-1", 9.5, id="order-1", execution_timeout=60)
    reveal_type(handle)  # R: goblins._handle.WorkflowHandle[bool]
    reveal_type(await handle.result())  # R: bool
    reveal_type(await client.execute_workflow(order, "o-1", 9.5, id="order-2"))  # R: bool
    reveal_type(await client.start_workflow("order", 1, 2))  # R: goblins._handle.WorkflowHandle[Any]
    reveal_type(await client.execute_workflow("order"))  # R: Any
    await client.start_workflow(order, "o-1", 9.5, start_signal="go", start_signal_args=[1])
    # E: Argument 1 to "start_workflow" of "Client" has incompatible type "Callable[[str, float], Coroutine[Any, Any, bool]]"; expected "Callable[[str], Awaitable[bool]]"
    await client.start_workflow(order, "o-1")
    # E: Too many arguments for "start_workflow" of "Client"
    # E: Argument 1 to "start_workflow" of "Client" has incompatible type "Callable[[str, float], Coroutine[Any, Any, bool]]"; expected "Callable[[int, float], Awaitable[bool]]"
    await client.start_workflow(order, 1, 9.5)
    # E: Unexpected keyword argument "start_signal" for overloaded function "execute_workflow" of "Client"
    # E: No overload variant of "execute_workflow" of "Client" matches argument types "Callable[[str, float], Coroutine[Any, Any, bool]]", "str", "float", "str"
    await client.execute_workflow(order, "o-1", 9.5, start_signal="go")
    # E: Too many arguments for "start_workflow" of "Client"
    # E: No overload variant of "start_workflow" of "Client" matches argument types "Callable[[str, float], Coroutine[Any, Any, bool]]", "str", "float", "int"
    await client.start_workflow(order, "o-1", 9.5, id=42)

    by_id = client.get_workflow_handle("order-1", bool)
    reveal_type(await by_id.result())  # R: bool
    reveal_type(await client.get_workflow_handle("order-1").result())  # R: Any
    pinned = client.get_workflow_handle("order-1", result_type=float, run_id="r")
    reveal_type(await pinned.result())  # R: float

    reveal_type(await handle.query(status))  # R: str
    reveal_type(await handle.query(item_count, "sku-1", timeout=2))  # R: int
    reveal_type(await handle.query("status", 1))  # R: Any
    # E: Too few arguments for "query" of "WorkflowHandle"
    # E: Argument 1 to "query" of "WorkflowHandle" has incompatible type "Query[[str], int]"; expected "Callable[[], QueryAnswer[int]]"
    await handle.query(item_count)
    # E: Argument 1 to "query" of "WorkflowHandle" has incompatible type "Query[[str], int]"; expected "Callable[[int], QueryAnswer[int]]"
    await handle.query(item_count, 1)
    # E: Too many arguments for "query" of "WorkflowHandle"
    # E: Argument 1 to "query" of "WorkflowHandle" has incompatible type "Update[[str, int], bool]"; expected "Callable[[str, int], QueryAnswer[Never]]"
    await handle.query(approve, "ann", 3)
    # E: Argument 1 to "query" of "WorkflowHandle" has incompatible type "Callable[[str], Coroutine[Any, Any, str]]"; expected "Callable[[str], QueryAnswer[Never]]"
    await handle.query(greet, "x")

    reveal_type(await handle.execute_update(approve, "ann", 3))  # R: bool
    update = await handle.start_update(approve, "ann", 3, update_id="u-1")
    reveal_type(update)  # R: goblins._client_update.UpdateHandle[bool]
    reveal_type(await update.result())  # R: bool
    reveal_type(await handle.execute_update("approve", "ann"))  # R: Any
    # E: Too many arguments for "execute_update" of "WorkflowHandle"
    # E: Argument 1 to "execute_update" of "WorkflowHandle" has incompatible type "Update[[str, int], bool]"; expected "Callable[[str, str], UpdateResult[bool]]"
    await handle.execute_update(approve, "ann", "3")
    # E: Too few arguments for "execute_update" of "WorkflowHandle"
    # E: Argument 1 to "execute_update" of "WorkflowHandle" has incompatible type "Query[[], str]"; expected "Callable[[], UpdateResult[Never]]"
    await handle.execute_update(status)
