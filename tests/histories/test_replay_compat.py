"""Recorded histories still parse, still mean the same, and still replay against workflows.py.

These files were recorded by ``record.py`` and are the durable format's memory: a change to
the history's wire layout or to replay fails here. That failure is the point; read
``record.py`` on when re-recording is the right answer (rarely).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from google.protobuf import json_format

import goblins
import goblins.testing
from goblins import wire
from goblins.api import v1 as pb
from tests.histories import workflows
from tests.histories.record import SCENARIOS, event_to_json, replay_outcome

HERE = pathlib.Path(__file__).resolve().parent
FILES = sorted(HERE.glob("*.json"))
RUNS = [
    pytest.param(run, id=f"{path.stem}[{i}]:{run['workflow']}")
    for path in FILES
    for i, run in enumerate(json.loads(path.read_text())["runs"])
]
NOT_RECORDED: set[goblins.events.EventType] = set()  # every kind of event has a scenario


def _events(run: dict[str, Any]) -> list[pb.HistoryEvent]:
    return [json_format.ParseDict(event, pb.HistoryEvent()) for event in run["events"]]


def test_every_scenario_is_recorded() -> None:
    assert {path.stem for path in FILES} == set(SCENARIOS)


def test_every_event_type_is_recorded() -> None:
    seen = {event["type"] for path in FILES for run in json.loads(path.read_text())["runs"] for event in run["events"]}
    assert seen == {t.value for t in goblins.events.EventType} - {t.value for t in NOT_RECORDED}


@pytest.mark.parametrize("run", RUNS)
def test_the_wire_format_is_unchanged(run: dict[str, Any]) -> None:
    """Each recorded event parses with no field unknown, and prints back the same: a field
    renamed, removed, added or retyped in the HistoryEvent message fails here."""
    for recorded, event in zip(run["events"], _events(run), strict=True):
        assert event_to_json(event) == recorded


@pytest.mark.parametrize("run", RUNS)
def test_the_history_replays_as_recorded(run: dict[str, Any]) -> None:
    workflow = getattr(workflows, run["workflow"])
    events = _events(run)
    assert replay_outcome(events, workflow) == run["replay"]
    # The same history as a client reads it (goblins.Event) replays the same way.
    assert replay_outcome([wire.event_from_proto(e) for e in events], workflow) == run["replay"]


@pytest.mark.parametrize("run", RUNS)
def test_the_recorded_end_is_the_run_outcome(run: dict[str, Any]) -> None:
    """The run's last event holds what its handle returned (a chain returns its last run's)."""
    end = wire.event_from_proto(_events(run)[-1])
    if "error" in run:
        assert end.type == goblins.events.EventType.WORKFLOW_FINISHED_IN_ERROR
        assert end.failure is not None and run["error"]["message"].endswith(end.failure.message)
    elif end.attributes["continued_as"]:
        assert end.type == goblins.events.EventType.WORKFLOW_FINISHED_IN_SUCCESS
    else:
        assert (end.type, end.output) == (goblins.events.EventType.WORKFLOW_FINISHED_IN_SUCCESS, run["result"])
