"""Payload codecs: bytes -> bytes transforms (encryption, compression) applied to every payload
a client or a worker writes, and undone on every payload it reads.

    key = goblins.codec.new_key()                    # or: goblins codec new-key
    codecs = [goblins.AesGcmCodec({"k1": key})]
    client = await goblins.Client.connect(address, codecs=codecs)
    worker = goblins.Worker(address, workflows=[...], codecs=codecs)

The server stores and forwards what the codecs wrote and never needs the plaintext. With
``codecs=None`` (the default) a process reads ``GOBLINS_CODEC_KEYS="kid1:BASE64KEY,kid0:BASE64KEY"``
(the first key encrypts, every key decrypts: key rotation); ``codecs=[]`` turns codecs off.

**The envelope.** An encoded payload starts with a zero byte (which no JSON text starts with),
then one byte giving the length of a JSON header, the header (an object whose ``"codec"`` names
the codec, e.g. ``{"codec":"aes-gcm","kid":"k1"}``), then the codec's bytes. The server checks
that shape in place of the JSON it checks on plain payloads; :func:`seal` and :func:`unseal`
write and read it for codecs of your own. A payload without the zero byte is plain JSON
(written before codecs were turned on) and is read as it is.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import orjson

from goblins._envelope import MARK, Chain, PayloadCodec, bad_envelope, seal, unseal
from goblins.errors import CodecError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ENCRYPTED",
    "ENV",
    "MARK",
    "AesGcmCodec",
    "Chain",
    "CodecError",
    "PayloadCodec",
    "bad_envelope",
    "chain",
    "display",
    "from_env",
    "new_key",
    "parse_keys",
    "seal",
    "unseal",
]

ENV = "GOBLINS_CODEC_KEYS"
"""The environment variable that every process reads when given no codecs: ``kid:BASE64KEY,...``."""
ENCRYPTED = "encrypted"
"""What :func:`display` shows for a payload that no codec at hand can decode."""


def chain(codecs: Sequence[PayloadCodec] | None) -> PayloadCodec | None:
    """The one codec that the converter applies for ``codecs``: None (the default) reads
    :data:`ENV`; an empty list, or an empty variable, gives None (no codec: no cost)."""
    if codecs is None:
        codecs = from_env()
    if isinstance(codecs, (str, bytes)) or not isinstance(codecs, Sequence):
        raise TypeError(f"codecs must be a list of payload codecs, got {codecs!r}")
    for codec in codecs:
        if not isinstance(codec, PayloadCodec):
            raise TypeError(f"codecs: {codec!r} has no encode(bytes) and decode(bytes) methods")
    return Chain(codecs) if codecs else None


class AesGcmCodec:
    """AES-256-GCM encryption of payloads, with key rotation.

    ``keys``: key id -> 32-byte key (a mapping, or a list of (id, key) pairs), in order: the
    first encrypts, every one decrypts. To rotate, put a new key first and keep the old ones
    until no stored payload needs them. The key id travels in the envelope's header (and is
    authenticated with the ciphertext); a payload under a key id not given here fails with a
    :class:`CodecError` naming it.
    """

    name = "aes-gcm"

    def __init__(self, keys: Mapping[str, bytes] | Sequence[tuple[str, bytes]]) -> None:
        try:
            from cryptography.exceptions import InvalidTag
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError:  # pragma: no cover - cryptography is a dependency
            raise CodecError("AesGcmCodec needs the 'cryptography' package (pip install cryptography)") from None
        pairs = list(keys.items()) if isinstance(keys, Mapping) else list(keys)
        if not pairs:
            raise ValueError("AesGcmCodec needs at least one key")
        self._ciphers: dict[str, AESGCM] = {}
        self._headers: dict[str, bytes] = {}
        for kid, key in pairs:
            _check_kid(kid)
            if not isinstance(key, bytes) or len(key) != 32:
                size = len(key) if isinstance(key, bytes) else type(key).__name__
                raise ValueError(f"AesGcmCodec: key {kid!r} must be 32 bytes, got {size}")
            if kid in self._ciphers:
                raise ValueError(f"AesGcmCodec: key id {kid!r} is given twice")
            self._ciphers[kid] = AESGCM(key)
            self._headers[kid] = orjson.dumps({"codec": self.name, "kid": kid})
        self.kid = pairs[0][0]
        """The id of the key that encrypts."""
        self._cipher = self._ciphers[self.kid]
        self._header = self._headers[self.kid]
        self._prefix = seal(self._header, b"")
        self._by_header = {self._headers[kid]: (kid, cipher) for kid, cipher in self._ciphers.items()}
        self._invalid_tag = InvalidTag

    @property
    def kids(self) -> list[str]:
        """The key ids, the encrypting one first."""
        return list(self._ciphers)

    def encode(self, data: bytes) -> bytes:
        nonce = os.urandom(12)
        # The header is the associated data: a changed key id fails authentication too.
        return self._prefix + nonce + self._cipher.encrypt(nonce, data, self._header)

    def decode(self, data: bytes) -> bytes:
        if data[:1] != MARK:
            return data
        # The common case, one dict lookup: the header bytes are those this codec writes.
        end = 2 + data[1] if len(data) > 1 else 1
        raw = data[2:end]
        found = self._by_header.get(raw)
        if found is None:
            return self._decode_other(data)
        kid, cipher = found
        if len(data) < end + 12 + 16:
            raise CodecError(f"payload encrypted with key id {kid!r} is truncated")
        try:
            return cipher.decrypt(data[end : end + 12], data[end + 12 :], raw)
        except self._invalid_tag:
            raise CodecError(
                f"payload encrypted with key id {kid!r} failed authentication: its bytes were altered, "
                "or another key was given that id"
            ) from None

    def _decode_other(self, data: bytes) -> bytes:
        """Another codec's envelope (returned as it is), or an unknown key id (an error)."""
        opened = unseal(data)
        if opened is None or opened[0].get("codec") != self.name:
            return data
        kid = opened[0].get("kid")
        raise CodecError(
            f"payload encrypted with key id {kid!r}, which is not among this process's keys "
            f"({', '.join(self._ciphers)}): add that key to {ENV} or to AesGcmCodec's keys"
        )

    def __repr__(self) -> str:  # never the keys
        return f"AesGcmCodec(kids={self.kids!r})"


def _check_kid(kid: object) -> None:
    if not isinstance(kid, str) or not kid or len(kid) > 64 or not all(c.isalnum() or c in "-_." for c in kid):
        raise ValueError(f"a key id is 1 to 64 letters, digits, '-', '_' or '.', got {kid!r}")


def new_key(kid: str = "k1") -> str:
    """A new random key as one ``kid:BASE64`` entry of :data:`ENV`."""
    _check_kid(kid)
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def parse_keys(text: str, source: str = ENV) -> list[tuple[str, bytes]]:
    """The (key id, key) pairs of ``kid1:BASE64,kid0:BASE64``; one clear error naming ``source``."""
    pairs: list[tuple[str, bytes]] = []
    for index, entry in enumerate(text.split(","), 1):
        entry = entry.strip()
        kid, sep, b64 = entry.partition(":")
        if not sep:
            raise CodecError(f"{source}: entry {index} must be KID:BASE64KEY, got {kid[:20]!r}")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
            _check_kid(kid.strip())
            if len(key) != 32:
                raise ValueError(f"key {kid.strip()!r} must be 32 bytes, got {len(key)}")
        except (ValueError, binascii.Error) as exc:
            raise CodecError(f"{source}: entry {index}: {exc}") from None
        pairs.append((kid.strip(), key))
    kids = [kid for kid, _ in pairs]
    if len(set(kids)) != len(kids):
        raise CodecError(f"{source}: a key id is given twice ({', '.join(kids)})")
    return pairs


def from_env(environ: Mapping[str, str] | None = None) -> list[PayloadCodec]:
    """The codecs :data:`ENV` asks for: one AesGcmCodec, or none when it is unset or empty."""
    text = (os.environ if environ is None else environ).get(ENV, "").strip()
    return [AesGcmCodec(parse_keys(text))] if text else []


def display(payload: bytes, codecs: Sequence[PayloadCodec] | PayloadCodec | None = None) -> str:
    """A payload as text to show a person: its JSON, or ``"encrypted"`` when no codec at hand
    decodes it (and the bytes' repr when they are neither). ``codecs``: a list, or one codec
    (such as a client's :attr:`goblins.Client.codec`); None reads :data:`ENV`."""
    codec = codecs if isinstance(codecs, PayloadCodec) else chain(None if codecs is None else list(codecs))
    try:
        data = codec.decode(payload) if codec is not None else payload
    except CodecError:
        return ENCRYPTED
    if data[:1] == MARK:
        return ENCRYPTED
    try:
        return orjson.dumps(orjson.loads(data)).decode() if data else ""
    except orjson.JSONDecodeError:
        return repr(data)
