"""Task tokens of async activity completion: what ``goblins.activity.info().task_token`` holds.

A token names one attempt (run, step, attempt) and carries a random secret that only the worker
running the attempt made; the history records the secret's SHA-256 hash when the attempt goes
async, so a client that reads the history still cannot forge a token for it. Shared by the
worker (makes tokens), the client (sends them) and the server (checks them): no I/O here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from google.protobuf.message import DecodeError

from goblins.api import v1 as pb

VERSION = 1
SECRET_BYTES = 16


class BadToken(ValueError):
    """Bytes that are not a task token of this version."""


def encode(run_id: str, step_id: str, attempt: int, secret: bytes) -> bytes:
    """The opaque token of an attempt."""
    return pb.TaskToken(
        version=VERSION, run_id=run_id, step_id=step_id, attempt=attempt, secret=secret
    ).SerializeToString()


def decode(token: bytes) -> pb.TaskToken:
    """The token's parts, or BadToken saying why they are not a task token."""
    if not isinstance(token, bytes | bytearray) or not token:
        raise BadToken(f"a task token is non-empty bytes, got {type(token).__name__}")
    try:
        parsed = pb.TaskToken.FromString(bytes(token))
    except DecodeError:
        raise BadToken("the task token does not decode (garbled, or not a goblins task token)") from None
    if parsed.version != VERSION:
        raise BadToken(f"the task token has version {parsed.version}, this server reads version {VERSION}")
    if not parsed.run_id or not parsed.step_id or parsed.attempt < 1 or len(parsed.secret) != SECRET_BYTES:
        raise BadToken("the task token is incomplete (garbled, or not a goblins task token)")
    return parsed


def secret_hash(secret: bytes) -> bytes:
    """What the history keeps of a token's secret."""
    return hashlib.sha256(secret).digest()


def to_text(token: bytes) -> str:
    """A token as text (URL-safe base64, unpadded): for a command line, a URL, a JSON field."""
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")


def from_text(text: str) -> bytes:
    """The token ``to_text`` wrote (BadToken if it is not URL-safe base64)."""
    try:
        return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("the task token text is not URL-safe base64") from None
