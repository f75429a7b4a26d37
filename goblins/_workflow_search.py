"""``goblins.workflow.upsert_search_attributes`` and the attributes ``goblins.workflow.info()``
shows, on the running workflow instance (docs/search.md).

Each upsert is a command with the code's own count as its id (``upsert-N``): the code is
deterministic, so a replay reaches the same ids; one its history holds already commands nothing
again (and the server records each id once, should a stale task resend it). The code's view of
its attributes is the start's plus its own upserts, in order: the same on every replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from goblins import _search
from goblins._client_search import memo_of
from goblins.api import v1 as pb


def current(instance: Any) -> dict[str, Any]:
    """The attributes of the run as its code sees them now."""
    attrs: dict[str, Any] | None = getattr(instance, "_search_now", None)
    if attrs is None:
        scheduled = getattr(instance, "scheduled", None)
        attrs = _search.decode(scheduled.search_attributes) if scheduled is not None else {}
        instance._search_now = attrs
    return attrs


def memo(instance: Any) -> dict[str, Any]:
    scheduled = getattr(instance, "scheduled", None)
    return memo_of(scheduled.memo, instance.codec) if scheduled is not None else {}


def upsert(instance: Any, attributes: Mapping[str, Any]) -> None:
    if not isinstance(attributes, Mapping) or not attributes:
        raise ValueError(f"upsert_search_attributes takes a non-empty mapping, got {attributes!r}")
    encoded = _search.encode(attributes)
    instance._upserts = getattr(instance, "_upserts", 0) + 1
    upsert_id = f"upsert-{instance._upserts}"
    if upsert_id not in instance.upserts_recorded:  # a replay of a recorded upsert commands nothing
        command = pb.UpsertSearchAttributes(upsert_id=upsert_id)
        _search.put(command.search_attributes, encoded)
        instance._commands.append(pb.Command(upsert_search_attributes=command))
    now = current(instance)
    for name, value in attributes.items():
        if value is None:
            now.pop(name, None)
        else:
            now[name] = value
