"""The typed API at run time: Query and Update definitions work wherever a name does (handlers,
queries, updates, update-with-start), and examples/typed_order.py runs as its docs say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import goblins
from examples import typed_order
from goblins.workflow import Query, Update
from tests.conftest import StartWorker

count = Query[[str], int]("count")
bump = Update[[str], int]("bump")


@goblins.workflow
async def counter() -> dict[str, int]:
    counts: dict[str, int] = {}

    async def increment(key: str) -> int:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]

    goblins.workflow.set_query_handler(count, lambda key: counts.get(key, 0))
    goblins.workflow.set_update_handler(bump, increment)
    await goblins.workflow.wait_for_signal("stop")
    return counts


async def test_definitions_name_the_handlers_on_both_sides(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[counter])
    handle = await client.start_workflow(counter, start_update=bump, start_update_args=["a"])
    assert handle.started_update is not None and await handle.started_update.result(timeout=10) == 1
    assert await handle.execute_update(bump, "a", timeout=10) == 2
    update = await handle.start_update(bump, "b")
    assert await update.result(timeout=10) == 1
    assert await handle.query(count, "a") == 2
    assert await handle.query("count", "b") == 1  # by name, as before
    assert await handle.execute_update("bump", "b", timeout=10) == 2
    await handle.signal("stop")
    assert await handle.result(timeout=10) == {"a": 2, "b": 2}
    accepted = [e.name for e in await handle.history() if e.type.value == "UPDATE_ACCEPTED"]
    assert accepted == ["bump"] * 4


async def test_a_definition_of_the_other_kind_is_refused_as_a_bad_name(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[counter])
    handle = await client.start_workflow(counter)
    wrong: Any = bump  # what mypy refuses: an update sent as a query, and the reverse
    with pytest.raises(ValueError, match=r"query name must be a non-empty str, got Update\('bump'\)"):
        await handle.query(wrong, "a")
    wrong = count
    with pytest.raises(ValueError, match=r"update name must be a non-empty str, got Query\('count'\)"):
        await handle.execute_update(wrong, "a")
    await handle.terminate()


def test_a_definition_needs_a_name() -> None:
    with pytest.raises(ValueError, match="query name must be a non-empty str, got ''"):
        Query[[], str]("")
    with pytest.raises(ValueError, match="update name must be a non-empty str, got 3"):
        Update[[], str](3)  # type: ignore[arg-type]
    assert repr(Query[[int], str]("q")) == "Query('q')" and Update[[], None]("u").name == "u"


async def test_the_typed_example_runs_as_its_docs_say(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await typed_order.main("ada", str(tmp_path / "typed.db")) == 4.0
    assert capsys.readouterr().out.splitlines() == ["open: 4 pears", "ada paid 4.00; shipped [ada: apple, pear]"]
