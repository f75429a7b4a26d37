"""goblins.testing.replay: a recorded history against the same, and against changed, code."""

from __future__ import annotations

import asyncio

import pytest

import goblins
import goblins.testing
from tests.conftest import StartWorker


@goblins.activity
async def shout(text: str) -> str:
    return text.upper()


@goblins.activity
async def whisper(text: str) -> str:
    return text.lower()


@goblins.workflow(name="replayed")
async def original(text: str) -> list[str]:
    first = await goblins.workflow.execute_activity(shout, text)
    both = await asyncio.gather(
        goblins.workflow.execute_activity(shout, first), goblins.workflow.execute_activity(whisper, text)
    )
    return [first, *both]


@goblins.workflow(name="replayed")
async def reordered(text: str) -> list[str]:
    first = await goblins.workflow.execute_activity(whisper, text)  # step 1 is now another activity
    return [first]


@goblins.workflow(name="replayed")
async def new_result(text: str) -> list[str]:
    first = await goblins.workflow.execute_activity(shout, text)
    both = await asyncio.gather(
        goblins.workflow.execute_activity(shout, first), goblins.workflow.execute_activity(whisper, text)
    )
    return [*both, first]


@goblins.workflow(name="replayed")
async def longer(text: str) -> list[str]:
    result = await original(text)
    return [*result, await goblins.workflow.execute_activity(shout, "more")]


async def test_replay_of_the_same_code_passes_and_changed_code_fails(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[original], activities=[shout, whisper])
    handle = await client.start_workflow(original, "Hi")
    assert await handle.result(timeout=10) == ["HI", "HI", "hi"]
    history = await handle.history()

    goblins.testing.replay(history, original)
    with pytest.raises(goblins.NondeterminismError, match=r"'whisper'.*'shout'"):
        goblins.testing.replay(history, reordered)
    with pytest.raises(goblins.NondeterminismError, match="returned"):
        goblins.testing.replay(history, new_result)
    with pytest.raises(goblins.NondeterminismError, match="never recorded"):
        goblins.testing.replay(history, longer)


@goblins.workflow(name="generations")
async def generations(n: int) -> int:
    await goblins.workflow.execute_activity(shout, str(n))
    if n > 1:
        goblins.workflow.continue_as_new(n - 1)
    return n


@goblins.workflow(name="generations")
async def no_generations(n: int) -> int:
    await goblins.workflow.execute_activity(shout, str(n))
    return n


async def test_replay_of_a_run_that_continued_as_new(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[generations], activities=[shout])
    handle = await client.start_workflow(generations, 2, run_id="gen")
    assert await handle.result(timeout=10) == 1
    # The start's handle addresses the workflow id (its newest run): the first run by run_id=.
    first = await client.get_workflow_handle("gen", run_id="gen").history()
    last = await handle.history()
    assert first[-1].attributes["continued_as"] == "gen~2" and last[-1].attributes["continued_as"] == ""
    goblins.testing.replay(first, generations)
    goblins.testing.replay(last, generations)
    with pytest.raises(goblins.NondeterminismError, match=r"continued as new \(gen~2\), the code now does not"):
        goblins.testing.replay(first, no_generations)


def test_replay_refuses_what_is_not_a_history() -> None:
    with pytest.raises(ValueError, match="WORKFLOW_SCHEDULED"):
        goblins.testing.replay([], original)
    with pytest.raises(TypeError, match=r"@goblins\.workflow"):
        goblins.testing.replay([], shout)


@goblins.workflow(name="failing_child")
async def failing_child() -> str:
    raise goblins.ApplicationError("no", type="ValueError")


@goblins.workflow(name="waits")
async def waits() -> list[str]:
    """A signal, a timer and a failed child: replay needs the signal's name and the child's id."""
    got = await goblins.workflow.wait_for_signal("go")
    await goblins.workflow.sleep(0.05)
    try:
        await goblins.workflow.execute_child(failing_child)
    except goblins.ChildWorkflowFailed as exc:
        return [got, exc.run_id]
    return [got]


async def test_replay_of_signals_timers_and_children(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[waits, failing_child])
    handle = await client.start_workflow(waits)
    await handle.signal("go", "now")
    assert await handle.result(timeout=10) == ["now", f"{handle.run_id}/2"]
    goblins.testing.replay(await handle.history(), waits)
