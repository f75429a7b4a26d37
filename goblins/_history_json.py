"""Histories as JSON files: what ``goblins workflow export`` writes, and what ``goblins replay
--file`` and ``goblins.testing.load_history`` read.

The format is the one of the recorded histories in tests/histories: ``{"runs": [{"run_id",
"workflow", "events": [...]}]}``, each event every field of the wire message (payloads as
base64 of their bytes: an encrypted payload stays encrypted, and nothing is lost to decoding).
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format

from goblins.api import v1 as pb

if TYPE_CHECKING:
    from goblins.client import Client

Events = list[pb.HistoryEvent]
"""One run's wire events, oldest first."""


def event_to_json(event: pb.HistoryEvent) -> dict[str, Any]:
    """Every field of the wire event, defaults included."""
    return json_format.MessageToDict(event, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def dumps(runs: Sequence[Sequence[pb.HistoryEvent]]) -> str:
    """The document holding these runs' histories (each a run's events, oldest first)."""
    doc = {
        "runs": [
            {
                "run_id": events[0].run_id if events else "",
                "workflow": events[0].workflow_name if events else "",
                "events": [event_to_json(e) for e in events],
            }
            for events in runs
        ]
    }
    return json.dumps(doc, indent=1) + "\n"


def loads(text: str, where: str = "the document") -> dict[str, Events]:
    """Each run's events, by run id, from an exported document (also: one run's ``{"events":
    [...]}``, or a bare list of events). A malformed document raises ``ValueError`` naming ``where``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(doc, list):
        doc = {"events": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("runs", doc.get("events")), list):
        raise ValueError(f'{where} is not a history document: expected {{"runs": [{{"events": [...]}}]}}')
    runs = doc["runs"] if "runs" in doc else [doc]
    found: dict[str, Events] = {}
    for index, run in enumerate(runs, 1):
        try:
            events = [json_format.ParseDict(e, pb.HistoryEvent()) for e in run["events"]]
        except (KeyError, TypeError, json_format.ParseError) as exc:
            raise ValueError(f"{where}: run #{index} is not a history ({exc})") from None
        if not events:
            raise ValueError(f"{where}: run #{index} has no events")
        found[events[0].run_id or str(run.get("run_id", index))] = events
    return found


def load(path: str | os.PathLike[str]) -> dict[str, Events]:
    """``loads`` of the file at ``path``."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    return loads(text, str(path))


async def fetch(client: Client, run_id: str, page_size: int = 0) -> Events:
    """A run's wire events from the server, page by page, payloads as stored (no codec
    applied: an export keeps encrypted payloads encrypted; the replayer decodes them)."""
    events: Events = []
    token = b""
    while True:
        request = pb.GetHistoryRequest(run_id=run_id, page_token=token, page_size=page_size)
        page = await client._call("GetHistory", request)
        if not page.found:
            raise ValueError(f"no run {run_id!r} on the server")
        events.extend(page.events)
        token = page.next_page_token
        if not token:
            return events
