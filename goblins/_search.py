"""Search attributes: their types, their wire form (``SearchValue``), and the checks a value
passes before the server indexes it (docs/search.md).

A run's search attributes are typed values the server indexes (never converter payloads: a
codec would hide them from the index). Six types: keyword (exact strings), text (words), int,
float, bool, datetime (a timezone-aware ``datetime``; seconds since the epoch on the wire).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from goblins.api import v1 as pb

KEYWORD, TEXT, INT, FLOAT, BOOL, DATETIME = "keyword", "text", "int", "float", "bool", "datetime"
TYPES = (KEYWORD, TEXT, INT, FLOAT, BOOL, DATETIME)
"""The attribute types, as ``goblins search-attribute add NAME TYPE`` names them."""

BUILT_INS: dict[str, str] = {
    "WorkflowId": KEYWORD,
    "RunId": KEYWORD,
    "WorkflowType": KEYWORD,
    "ExecutionStatus": KEYWORD,
    "StartTime": DATETIME,
    "CloseTime": DATETIME,
}
"""The attributes every run has (a query names them; a workflow cannot set them)."""

REGISTRY_KIND = "search_attribute"
"""The registry kind of a declared attribute; its name there is ``NAME:TYPE``."""

MAX_ATTRIBUTES = 100  # per run
MAX_KEYWORD = 2048  # characters in a keyword or a text value
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}\Z")
_WORD = re.compile(r"\w+")

SearchValue = str | int | float | bool | datetime.datetime
"""A search attribute's value as Python code reads and writes it."""


def words(text: str) -> list[str]:
    """The words a text value is indexed by (and a query's text literal is matched by)."""
    return sorted({w.lower() for w in _WORD.findall(text)})


def to_proto(value: SearchValue | None) -> pb.SearchValue:
    """A Python value as the wire's typed value (None: remove the attribute, in an upsert)."""
    if value is None:
        return pb.SearchValue()
    if isinstance(value, bool):  # before int: bool is an int
        return pb.SearchValue(bool=value)
    if isinstance(value, int):
        return pb.SearchValue(int=value)
    if isinstance(value, float):
        return pb.SearchValue(float=value)
    if isinstance(value, str):
        return pb.SearchValue(keyword=value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError(f"a datetime search attribute needs a time zone, got {value!r}")
        return pb.SearchValue(datetime=value.timestamp())
    raise TypeError(f"a search attribute is a str, int, float, bool or datetime, got {type(value).__name__}")


def from_proto(v: pb.SearchValue) -> SearchValue | None:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == DATETIME:
        return datetime.datetime.fromtimestamp(v.datetime, datetime.UTC)
    return getattr(v, which)  # type: ignore[no-any-return]


def encode(attributes: Mapping[str, SearchValue | None] | None) -> dict[str, pb.SearchValue]:
    """Python attributes as the wire's map; a bad name or value raises ValueError/TypeError."""
    out: dict[str, pb.SearchValue] = {}
    for name, value in (attributes or {}).items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"search attribute name {name!r}: letters, digits and _ (at most 100)")
        try:
            out[name] = to_proto(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"search attribute {name!r}: {exc}") from None
    return out


def decode(attributes: Mapping[str, pb.SearchValue]) -> dict[str, SearchValue]:
    """The wire's map as Python values (removed attributes left out)."""
    out = {name: from_proto(v) for name, v in sorted(attributes.items())}
    return {name: v for name, v in out.items() if v is not None}


def type_of(v: pb.SearchValue) -> str | None:
    which: str | None = v.WhichOneof("value")
    return which


def put(target: Any, values: Mapping[str, pb.SearchValue]) -> None:
    """Copy ``values`` into a message's search_attributes map."""
    for name, v in values.items():
        target[name].CopyFrom(v)


def declared(registry: set[tuple[str, str]]) -> dict[str, str]:
    """Declared attributes (name -> type) out of the server's registry."""
    out: dict[str, str] = {}
    for kind, entry in registry:
        if kind == REGISTRY_KIND:
            name, _, type_ = entry.rpartition(":")
            out[name] = type_
    return out


def check(
    attributes: Mapping[str, pb.SearchValue], types: Mapping[str, str], *, upsert: bool = False
) -> tuple[str, dict[str, pb.SearchValue], list[tuple[str, str]]]:
    """(what is wrong or "", the values as their declared types, new declarations).

    An attribute not declared yet is declared by this first use, with its value's type (a str
    is a keyword: a text attribute is declared beforehand). An int is taken for a float
    attribute, a keyword for a text one; anything else is refused, naming the attribute."""
    if len(attributes) > MAX_ATTRIBUTES:
        return f"at most {MAX_ATTRIBUTES} search attributes per run, got {len(attributes)}", {}, []
    out: dict[str, pb.SearchValue] = {}
    new: list[tuple[str, str]] = []
    for name, v in attributes.items():
        if not _NAME.match(name):
            return f"search attribute name {name!r}: letters, digits and _ (at most 100)", {}, []
        if name in BUILT_INS:
            return f"search attribute {name!r} is built in: a run cannot set it", {}, []
        given = type_of(v)
        if given is None:
            if not upsert:
                return f"search attribute {name!r} has no value", {}, []
            out[name] = v
            continue
        value = getattr(v, given)
        if given in (KEYWORD, TEXT) and len(value) > MAX_KEYWORD:
            return f"search attribute {name!r} is too long: {len(value)} characters, at most {MAX_KEYWORD}", {}, []
        if given in (FLOAT, DATETIME) and not math.isfinite(value):
            return f"search attribute {name!r} must be finite, got {value!r}", {}, []
        want = types.get(name)
        if want is None:
            want = given
            new.append((REGISTRY_KIND, f"{name}:{given}"))
        if want == given:
            out[name] = v
        elif want == FLOAT and given == INT:
            out[name] = pb.SearchValue(float=float(value))
        elif {want, given} == {KEYWORD, TEXT}:
            out[name] = pb.SearchValue(**{want: value})
        else:
            return f"search attribute {name!r} is declared {want}, got a {given} value {value!r}", {}, []
    return "", out, new


def current_attributes(events: Iterable[pb.HistoryEvent]) -> dict[str, pb.SearchValue]:
    """A run's search attributes after these events of its history (its start, its upserts)."""
    out: dict[str, pb.SearchValue] = {}
    for e in events:
        if e.type == 1:  # WORKFLOW_SCHEDULED
            out.update(e.workflow_scheduled.search_attributes)
        elif e.type == 20:  # SEARCH_ATTRIBUTES_UPSERTED
            for name, v in e.search_attributes_upserted.search_attributes.items():
                if v.WhichOneof("value") is None:
                    out.pop(name, None)
                else:
                    out[name] = v
    return out
