"""The envelope of encoded payloads and the codec chain: the part of goblins.codec that the
converter, the replay core and the server's checks import (no I/O, no randomness; the AES-GCM
codec and the key handling are in goblins.codec)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import orjson

from goblins.errors import CodecError

MARK = b"\x00"
"""The first byte of an encoded payload (no JSON text starts with it)."""


@runtime_checkable
class PayloadCodec(Protocol):
    """A bytes -> bytes transform of payloads.

    Requirements: ``decode(encode(b)) == b``; ``encode`` returns an envelope (:func:`seal`);
    ``decode`` returns unchanged the bytes it does not recognise as its own (plain JSON, another
    codec's envelope) and raises :class:`CodecError` for its own envelope it cannot open. Both
    are called on the worker's and the client's event loop for every payload, so they are plain
    (not async) functions: an AES-GCM pass over a small payload takes microseconds, far less
    than a hop to a thread would.
    """

    def encode(self, data: bytes) -> bytes: ...

    def decode(self, data: bytes) -> bytes: ...


def seal(header: bytes, body: bytes) -> bytes:
    """An envelope: ``header`` (JSON object bytes with a ``"codec"`` name, < 256 bytes) + ``body``."""
    if len(header) > 255:
        raise ValueError(f"a codec header is at most 255 bytes, got {len(header)}")
    return MARK + bytes((len(header),)) + header + body


def unseal(data: bytes) -> tuple[dict[str, Any], bytes, bytes] | None:
    """(header, header bytes, body) of an envelope; None for plain (JSON) bytes. Raises
    :class:`CodecError` for bytes that start like an envelope but are not one."""
    if data[:1] != MARK:
        return None
    problem = bad_envelope(data)
    if problem:
        raise CodecError(problem)
    size = data[1]
    raw = data[2 : 2 + size]
    return orjson.loads(raw), raw, data[2 + size :]


def bad_envelope(data: bytes) -> str:
    """Why ``data`` (starting with the zero byte) is not an envelope, or "" (what the server
    checks of an encoded payload: it cannot read the rest)."""
    if len(data) < 2:
        return "encoded payload is truncated (no header)"
    size = data[1]
    if len(data) < 2 + size:
        return f"encoded payload is truncated: a {size}-byte header announced, {len(data) - 2} bytes follow"
    try:
        header = orjson.loads(data[2 : 2 + size])
    except orjson.JSONDecodeError:
        return "encoded payload's header is not JSON"
    if not isinstance(header, dict) or not isinstance(header.get("codec"), str):
        return 'encoded payload\'s header must be a JSON object with a "codec" name'
    return ""


def _describe(header: Mapping[str, Any]) -> str:
    kid = header.get("kid")
    return f"codec {header.get('codec')!r}" + (f", key id {kid!r}" if kid is not None else "")


class Chain:
    """Several codecs as one: encode in order, decode in reverse; plain JSON passes through."""

    __slots__ = ("_reversed", "codecs")

    def __init__(self, codecs: Sequence[PayloadCodec]) -> None:
        self.codecs = tuple(codecs)
        self._reversed = self.codecs[::-1]

    def encode(self, data: bytes) -> bytes:
        for codec in self.codecs:
            data = codec.encode(data)
        return data

    def decode(self, data: bytes) -> bytes:
        if data[:1] != MARK:
            return data
        for codec in self._reversed:
            data = codec.decode(data)
            if data[:1] != MARK:
                return data
        opened = unseal(data)
        assert opened is not None
        raise CodecError(f"payload encoded with {_describe(opened[0])}: no codec here decodes it")
