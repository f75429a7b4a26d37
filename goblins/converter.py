"""Values <-> payload bytes: JSON, with dataclasses and pydantic models, decoded by type hints.

No pickle: a payload is readable by any language and cannot run code when decoded.

Every function takes an optional ``codec`` (:mod:`goblins.codec`: encryption, compression),
applied to the JSON bytes last when encoding and first when decoding: every payload a client
or a worker makes or reads passes here, so this is the one place codecs are applied. None (no
codec) costs one comparison and no copy.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import typing
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import pydantic

from goblins._envelope import MARK, PayloadCodec, unseal
from goblins.errors import CodecError, SerializationError


def _default(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode(value: Any, what: str = "value", codec: PayloadCodec | None = None) -> bytes:
    """JSON bytes of ``value`` (through ``codec``); raises SerializationError naming ``what``
    when impossible."""
    try:
        data = orjson.dumps(value, default=_default)
    except TypeError as exc:
        raise SerializationError(f"{what} cannot be serialized to JSON: {exc}") from None
    # orjson writes NaN and infinities as null: a value would come back changed. Only a
    # payload with a null can hold one, so the common case costs one substring search (and a
    # plain None, a common result, no walk at all).
    if value is not None and b"null" in data:
        bad = _non_finite(value)
        if bad is not None:
            raise SerializationError(
                f"{what} cannot be serialized to JSON: it holds {bad!r} (JSON has no NaN or infinity)"
            )
    return data if codec is None else codec.encode(data)


def _non_finite(value: Any, depth: int = 0) -> float | None:
    """The first NaN or infinity inside ``value``, if any."""
    if isinstance(value, float):
        return None if math.isfinite(value) else value
    if depth > 200:  # orjson refuses deeper values anyway
        return None
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    elif isinstance(value, pydantic.BaseModel):
        items = value.model_dump(mode="python").values()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = (getattr(value, f.name) for f in dataclasses.fields(value))
    else:
        return None
    for item in items:
        bad = _non_finite(item, depth + 1)
        if bad is not None:
            return bad
    return None


def encode_args(args: Sequence[Any], what: str, codec: PayloadCodec | None = None) -> bytes:
    """JSON array of positional arguments; the error names the argument that failed."""
    try:
        return encode(list(args), what, codec)
    except SerializationError:
        # Encoded once when all is well; only a failure pays for naming the argument.
        for index, arg in enumerate(args):
            encode(arg, f"{what} argument {index + 1} ({type(arg).__name__})")
        raise


def plain(data: bytes, codec: PayloadCodec | None = None) -> bytes:
    """The JSON bytes of a payload: ``codec`` undone. Raises CodecError for a payload that
    stays encoded (no codec, or no key for it)."""
    if codec is not None:
        data = codec.decode(data)
    if data[:1] == MARK:
        opened = unseal(data)
        codec_name = opened[0].get("codec") if opened is not None else "?"
        raise CodecError(
            f"payload is encoded (codec {codec_name!r}) and this process has no codec for it: "
            "give codecs= or set GOBLINS_CODEC_KEYS"
        )
    return data


def decode(data: bytes, hint: Any = Any, codec: PayloadCodec | None = None) -> Any:
    """Value of JSON ``data`` (through ``codec``), converted to ``hint`` (dataclass, pydantic
    model, generics)."""
    if codec is not None and data:
        data = codec.decode(data)
    try:
        value = orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        plain(data)  # an encoded payload read without codecs: say so, not "bad JSON"
        raise
    return convert(value, hint)


def convert(value: Any, hint: Any) -> Any:
    """A decoded JSON value converted to ``hint``."""
    if hint is Any or hint is inspect.Parameter.empty:
        return value
    try:
        return _adapter(hint).validate_python(value)
    except pydantic.ValidationError as exc:
        raise SerializationError(f"cannot decode payload as {hint!r}: {exc}") from None


@functools.lru_cache(maxsize=512)
def _adapter(hint: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(hint)


@functools.lru_cache(maxsize=512)
def param_hints(fn: Callable[..., Any]) -> tuple[list[Any], Any]:
    """(annotation of each positional parameter, return annotation); Any where unannotated."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    params = [
        hints.get(p.name, Any)
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    return params, hints.get("return", Any)


def decode_args(data: bytes, fn: Callable[..., Any] | None, codec: PayloadCodec | None = None) -> list[Any]:
    """Positional arguments from a JSON array (through ``codec``), each decoded to ``fn``'s
    annotation. The server checks that a plain payload is an array; an encoded one it cannot
    read, so the check is (also) here."""
    if codec is not None and data:
        data = codec.decode(data)
    try:
        raw = orjson.loads(data) if data else []
    except orjson.JSONDecodeError:
        plain(data)
        raise
    if not isinstance(raw, list):
        raise SerializationError("arguments payload is not a JSON array")
    if fn is None:
        return raw
    hints, _ = param_hints(fn)
    out = []
    for index, value in enumerate(raw):
        hint = hints[index] if index < len(hints) else (hints[-1] if hints else Any)
        out.append(convert(value, hint))
    return out
