"""The client's side of search attributes: a start's attributes and memo, visibility queries
(``Client.list_workflows(query=...)``, ``count_workflows``) and declarations (docs/search.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from goblins import _search, converter
from goblins._envelope import PayloadCodec
from goblins.api import v1 as pb


def start_fields(
    request: pb.StartWorkflowRequest | pb.StartChildWorkflow,
    search_attributes: Mapping[str, Any] | None,
    memo: Mapping[str, Any] | None,
    codec: PayloadCodec | None = None,
) -> None:
    """Set a start's search attributes (typed values the server indexes) and memo (a payload:
    through the codec, the server never reads it)."""
    if search_attributes:
        if not isinstance(search_attributes, Mapping):
            raise TypeError(f"search_attributes must be a mapping, got {type(search_attributes).__name__}")
        _search.put(request.search_attributes, _search.encode(search_attributes))
    if memo:
        if not isinstance(memo, Mapping):
            raise TypeError(f"memo must be a mapping, got {type(memo).__name__}")
        request.memo = converter.encode(dict(memo), "memo", codec)


def memo_of(data: bytes, codec: PayloadCodec | None = None) -> dict[str, Any]:
    """A recorded memo (empty: none) as a dict; bytes a codec cannot open stay as they are."""
    if not data:
        return {}
    try:
        value = converter.decode(data, codec=codec)
    except Exception:
        return {"<undecodable memo>": data}
    return value if isinstance(value, dict) else {"memo": value}


def check_type(type_: str) -> str:
    if type_ not in _search.TYPES:
        raise ValueError(f"search attribute type must be one of {', '.join(_search.TYPES)}, got {type_!r}")
    return type_
