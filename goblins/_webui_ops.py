"""The web UI's operator views: the run list's pages and search, a run's description, its
history as a JSON download, and the connected workers.

Routes (GET, JSON unless said):

- ``/api/runs?status=S&name=WORKFLOW&run_id=ID&from=T&to=T&limit=N&page_token=P``: one page of
  runs, newest first, ``{"runs": [...], "next_page_token"}``; ``status`` is one of the seven
  statuses, ``from``/``to`` bound the start time (ISO 8601, UTC when no offset, or epoch
  seconds; ``from`` inclusive); ``run_id`` finds that one run. Each run carries its
  ``parent_run_id`` ("" for a top-level run), so that the page nests children under parents.
- ``/api/runs/RUN_ID/describe``: ``goblins.RunDescription`` as JSON (what it waits for, why).
- ``/api/runs/RUN_ID/history.json``: the whole history, a download (Content-Disposition).
- ``/api/workers``: ``{"workers": [...], "transport", "missing"}``.
- ``/api/schedules``: ``{"schedules": [...]}``, each as ``goblins.ScheduleDescription`` (times
  in ISO 8601, durations in seconds).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from goblins._schedules import as_dict
from goblins.client import Client, WorkflowHandle
from goblins.errors import GoblinsError, WorkflowNotFound
from goblins.events import Event
from goblins.history import STATUSES

DOWNLOAD_PAGE = 1_000
PARENTS_KEPT = 20_000  # run id -> parent run id, never changing: a bounded cache, oldest out


class ListError(ValueError):
    """A malformed list query (answered 400)."""


def when(query: Any, name: str) -> float:
    """The time bound ``name`` of the query, as epoch seconds (0: none given)."""
    text = (query.get(name) or "").strip()
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ListError(f"{name} must be an ISO 8601 time (e.g. 2026-12-03T17:00:00Z), got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


class Parents:
    """Which run started which: a run's first event names its parent, and never changes."""

    def __init__(self) -> None:
        self._known: collections.OrderedDict[str, str] = collections.OrderedDict()

    async def of(self, client: Client, run_id: str) -> str:
        parent = self._known.get(run_id)
        if parent is None:
            events, _ = await client.get_workflow_handle(run_id, run_id=run_id).history_page(b"", 1)
            parent = str(events[0].attributes.get("parent_run_id") or "") if events else ""
            self._known[run_id] = parent
            if len(self._known) > PARENTS_KEPT:
                self._known.popitem(last=False)
        return parent


async def list_page(request: Request, client: Client, parents: Parents) -> dict[str, Any]:
    query = request.query_params
    status = (query.get("status") or "").upper() or None
    if status is not None and status not in STATUSES:
        raise ListError(f"status must be one of {', '.join(STATUSES)}, got {query.get('status')!r}")
    try:
        limit = int(query.get("limit", 50))
    except ValueError:
        raise ListError(f"limit must be a whole number, got {query['limit']!r}") from None
    if not 1 <= limit <= 1000:
        raise ListError(f"limit must be between 1 and 1000, got {limit}")
    run_id = (query.get("run_id") or "").strip()
    if run_id:
        runs = await _one_run(client, run_id)
        token = ""
    else:
        try:
            page = await client.list_workflows_page(
                status,
                query.get("name") or None,
                limit,
                query.get("page_token") or "",
                created_after=when(query, "from"),
                created_before=when(query, "to"),
                query=query.get("query") or None,
            )
        except (ValueError, GoblinsError) as exc:
            if str(exc).startswith("query error"):  # the search box's mistake: a bad request
                raise ListError(str(exc)) from None
            raise
        runs, token = [dataclasses.asdict(r) for r in page.runs], page.next_page_token
    for run in runs:
        run["parent_run_id"] = await parents.of(client, run["run_id"])
    return {"runs": runs, "next_page_token": token}


async def _one_run(client: Client, run_id: str) -> list[dict[str, Any]]:
    try:
        d = await client.get_workflow_handle(run_id, run_id=run_id).describe()
    except WorkflowNotFound:
        return []
    return [
        {
            "run_id": d.run_id,
            "workflow_name": d.workflow_name,
            "status": d.status,
            "created_at": d.start_time,
            "finished_at": d.close_time,
        }
    ]


def handle_of(request: Request, client: Client) -> WorkflowHandle[Any]:
    """The route's ID (a workflow id or a run id); ``?run_id=R`` pins one execution."""
    return client.get_workflow_handle(request.path_params["run_id"], run_id=request.query_params.get("run_id") or None)


async def describe(request: Request, client: Client) -> dict[str, Any]:
    return dataclasses.asdict(await handle_of(request, client).describe())


async def workers(request: Request, client: Client) -> dict[str, Any]:
    listed = dataclasses.asdict(await client.list_workers())
    listed["queues"] = [dataclasses.asdict(q) for q in await client.list_task_queues()]  # docs/task-queues.md
    return listed


async def schedules(request: Request, client: Client) -> dict[str, Any]:
    return {"schedules": [as_dict(d) for d in await client.list_schedules()]}


async def download(request: Request, client: Client, plain: Any) -> StreamingResponse:
    """The run's whole history as one JSON document, streamed page by page (a long history never
    sits whole in memory); its first page is read before answering, so a missing run is a 404."""
    run_id = request.query_params.get("run_id") or request.path_params["run_id"]
    handle = handle_of(request, client)
    first, token = await handle.history_page(b"", DOWNLOAD_PAGE)

    def dump(e: Event) -> str:
        return json.dumps(dataclasses.asdict(e), default=plain, ensure_ascii=False)

    async def body() -> AsyncIterator[str]:
        yield '{"run_id": ' + json.dumps(run_id) + ', "events": [\n'
        events, next_token, comma = first, token, ""
        while True:
            for e in events:
                yield comma + dump(e)
                comma = ",\n"
            if not next_token:
                break
            events, next_token = await handle.history_page(next_token, DOWNLOAD_PAGE)
        yield "\n]}\n"

    name = re.sub(r"[^A-Za-z0-9._-]", "_", run_id)[:120] or "run"
    return StreamingResponse(
        body(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.history.json"'},
    )
