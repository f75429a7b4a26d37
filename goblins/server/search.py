"""Search attributes on the server: their declarations, the checks of the values a start or a
workflow's upsert carries, and the ListWorkflows/CountWorkflows queries (docs/search.md).

Attributes are declared by their first use (the value's type), or ahead of it by
``goblins search-attribute add NAME TYPE`` (the only way to a ``text`` attribute). The
declarations are rows of the server's registry (kind ``search_attribute``), so both modes keep
them in their store. A value of another type than the declared one is refused, naming the
attribute: a start with InvalidArgument, a workflow's upsert by failing its workflow task (the
worker retries it, as for any bad command, until the code is fixed).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from goblins._query import Plan, QueryError, compile_query
from goblins._search import BUILT_INS, REGISTRY_KIND, TYPES, check, declared
from goblins.api import v1 as pb

if TYPE_CHECKING:
    from goblins.server.loop import EventLoop
    from goblins.server.ports import RunIndex

MAX_QUERY = 10_000  # characters in one query
MAX_OFFSET = 100_000  # runs a query's pages may skip (past it: narrow the query)


def _refresh_needed(loop: EventLoop, names: object) -> bool:
    types = declared(loop.registered)
    return any(n not in types for n in names)  # type: ignore[attr-defined]


async def checked(loop: EventLoop, attributes: dict[str, pb.SearchValue]) -> tuple[str, dict[str, pb.SearchValue]]:
    """(what is wrong, the values as declared) of a start's attributes; new ones are declared."""
    if not attributes:
        return "", {}
    if _refresh_needed(loop, attributes):
        loop.registered |= await loop.store.registry()  # another server may have declared them
    problem, values, new = check(attributes, declared(loop.registered))
    if problem:
        return problem, {}
    if new:
        await loop.register(new)
    return "", values


def bad_commands(
    completed: pb.WorkflowTaskCompleted, registered: set[tuple[str, str]]
) -> tuple[str, list[tuple[str, str]]]:
    """What is wrong with the search attributes of a completion's upserts and child starts
    (their values are set to the declared types in place), and the declarations they make."""
    new: list[tuple[str, str]] = []
    types = declared(registered)
    for command in completed.commands:
        which = command.WhichOneof("kind")
        if which == "upsert_search_attributes":
            attrs, upsert = command.upsert_search_attributes.search_attributes, True
        elif which == "start_child_workflow" and command.start_child_workflow.search_attributes:
            attrs, upsert = command.start_child_workflow.search_attributes, False
        else:
            continue
        problem, values, made = check(attrs, types, upsert=upsert)
        if problem:
            return f"{which}: {problem}", []
        for name, v in values.items():
            attrs[name].CopyFrom(v)
        for kind, entry in made:
            name, _, type_ = entry.rpartition(":")
            types[name] = type_
            new.append((kind, entry))
    return "", new


async def declare(loop: EventLoop, request: pb.SearchAttributesRequest) -> pb.SearchAttributesResponse:
    """Declare ``request.name`` as ``request.type`` (nothing when name is empty); every declaration."""
    loop.registered |= await loop.store.registry()
    types = declared(loop.registered)
    if request.name:
        problem, _, _ = check({request.name: pb.SearchValue(keyword="x")}, {})
        if problem:
            raise ValueError(problem)
        if request.type not in TYPES:
            raise ValueError(f"search attribute type must be one of {', '.join(TYPES)}, got {request.type!r}")
        have = types.get(request.name)
        if have is not None and have != request.type:
            raise ValueError(f"search attribute {request.name!r} is declared {have} already")
        if have is None:
            await loop.register([(REGISTRY_KIND, f"{request.name}:{request.type}")])
            types[request.name] = request.type
    return pb.SearchAttributesResponse(attributes={**types})


async def fresh_plan(loop: EventLoop, query: str) -> Plan:
    """The query's plan; an unknown attribute reads the registry again once (another server
    may have declared it since)."""
    if len(query) > MAX_QUERY:
        raise ValueError(f"query is too long: {len(query)} characters, at most {MAX_QUERY}")
    try:
        return compile_query(query, declared(loop.registered))
    except QueryError as exc:
        if "unknown search attribute" not in exc.reason:
            raise
    loop.registered |= await loop.store.registry()
    return compile_query(query, declared(loop.registered))


def offset_token(offset: int) -> bytes:
    return b"q:" + base64.b16encode(str(offset).encode())


def parse_offset(token: bytes) -> int:
    if not token:
        return 0
    try:
        if token.startswith(b"q:"):
            offset = int(base64.b16decode(token[2:]).decode())
            if 0 <= offset <= MAX_OFFSET:
                return offset
    except ValueError:
        pass
    raise ValueError("page_token is not a next_page_token of this query's ListWorkflows")


async def list_runs(loop: EventLoop, index: RunIndex, request: pb.ListWorkflowsRequest) -> pb.ListWorkflowsResponse:
    plan = await fresh_plan(loop, request.query)
    offset = parse_offset(request.page_token)
    limit = request.limit or 100
    runs = await index.search_runs(plan, limit, offset)
    reply = pb.ListWorkflowsResponse(runs=runs)
    if len(runs) >= limit and offset + limit <= MAX_OFFSET:
        reply.next_page_token = offset_token(offset + limit)
    return reply


async def count_runs(loop: EventLoop, index: RunIndex, query: str) -> int:
    return await index.count_runs(await fresh_plan(loop, query))


__all__ = ["BUILT_INS", "bad_commands", "checked", "count_runs", "declare", "list_runs"]
