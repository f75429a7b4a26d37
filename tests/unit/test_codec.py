"""Payload codecs (issue 11): AES-GCM with key ids, rotation, clear errors, the env variable."""

from __future__ import annotations

import base64
import dataclasses
import os
import subprocess
import sys
from typing import Any

import orjson
import pytest

import goblins
from goblins import codec, converter, wire
from goblins._definitions import workflow_definition
from goblins._runtime import WorkflowInstance
from goblins.errors import CodecError
from goblins.server.checks import bad_payload

K1, K0 = os.urandom(32), os.urandom(32)


@dataclasses.dataclass
class Card:
    number: str
    cents: int


def entry(kid: str, key: bytes) -> str:
    return f"{kid}:{base64.b64encode(key).decode()}"


def test_a_value_round_trips_through_the_codec_and_the_bytes_hold_no_plaintext() -> None:
    chain = codec.chain([goblins.AesGcmCodec({"k1": K1})])
    data = converter.encode_args([Card("card-4111-1111", 5)], "workflow 'w'", chain)
    assert b"4111" not in data and data[:1] == codec.MARK
    header, _, _ = codec.unseal(data) or ({}, b"", b"")
    assert header == {"codec": "aes-gcm", "kid": "k1"}

    def fn(card: Card) -> None: ...

    assert converter.decode_args(data, fn, chain) == [Card("card-4111-1111", 5)]
    assert converter.decode(converter.encode({"a": [1, 2]}, codec=chain), codec=chain) == {"a": [1, 2]}


def test_two_encodings_of_one_value_differ() -> None:
    c = goblins.AesGcmCodec([("k1", K1)])
    assert c.encode(b"[1]") != c.encode(b"[1]")  # a fresh nonce each time


def test_rotation_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old = goblins.AesGcmCodec({"k0": K0})
    written_before = old.encode(b'["x"]')
    rotated = goblins.AesGcmCodec({"k1": K1, "k0": K0})
    assert rotated.kid == "k1" and rotated.kids == ["k1", "k0"]
    assert rotated.decode(written_before) == b'["x"]'
    assert codec.unseal(rotated.encode(b"[]"))[0]["kid"] == "k1"  # type: ignore[index]


def test_a_payload_under_an_unknown_key_id_fails_naming_the_kid() -> None:
    data = goblins.AesGcmCodec({"gone": K0}).encode(b"[1]")
    with pytest.raises(CodecError, match=r"key id 'gone'.*not among this process's keys \(k1\)"):
        goblins.AesGcmCodec({"k1": K1}).decode(data)


def test_altered_ciphertext_or_header_fails_authentication_clearly() -> None:
    c = goblins.AesGcmCodec({"k1": K1, "k2": K0})
    data = bytearray(c.encode(b'["secret"]'))
    data[-1] ^= 1
    with pytest.raises(CodecError, match="failed authentication"):
        c.decode(bytes(data))
    # The same body under another key id of the same length: the header is authenticated too.
    moved = c.encode(b'["secret"]').replace(b'"k1"', b'"k2"')
    with pytest.raises(CodecError, match="failed authentication"):
        c.decode(moved)
    with pytest.raises(CodecError, match="truncated"):
        c.decode(c.encode(b"[]")[:40])


def test_plain_json_passes_through_so_runs_started_before_codecs_still_read() -> None:
    chain = codec.chain([goblins.AesGcmCodec({"k1": K1})])
    assert converter.decode(b'{"a": 1}', codec=chain) == {"a": 1}


def test_reading_an_encrypted_payload_without_codecs_says_so() -> None:
    data = goblins.AesGcmCodec({"k1": K1}).encode(b"[1]")
    with pytest.raises(CodecError, match=r"codec 'aes-gcm'.*GOBLINS_CODEC_KEYS"):
        converter.decode(data)
    with pytest.raises(CodecError):
        converter.decode_args(data, None)


def test_a_chain_encodes_in_order_and_decodes_in_reverse() -> None:
    class Upper:
        def encode(self, data: bytes) -> bytes:
            return codec.seal(b'{"codec":"rev"}', data[::-1])

        def decode(self, data: bytes) -> bytes:
            opened = codec.unseal(data)
            return opened[2][::-1] if opened is not None and opened[0]["codec"] == "rev" else data

    chain = codec.chain([Upper(), goblins.AesGcmCodec({"k1": K1})])
    assert chain is not None
    assert chain.decode(chain.encode(b'["ab"]')) == b'["ab"]'
    # A payload of a codec that this chain lacks: named.
    lone = codec.chain([Upper()])
    assert lone is not None
    with pytest.raises(CodecError, match="codec 'aes-gcm', key id 'k1'"):
        lone.decode(goblins.AesGcmCodec({"k1": K1}).encode(b"[]"))


def test_no_codecs_is_none_and_bad_codecs_are_refused() -> None:
    assert codec.chain([]) is None
    with pytest.raises(TypeError, match="encode"):
        codec.chain([object()])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="32 bytes"):
        goblins.AesGcmCodec({"k1": b"short"})
    with pytest.raises(ValueError, match="key id"):
        goblins.AesGcmCodec({"a,b": K1})
    assert "k1" in repr(goblins.AesGcmCodec({"k1": K1})) and base64.b64encode(K1).decode() not in repr(
        goblins.AesGcmCodec({"k1": K1})
    )


def test_keys_come_from_the_environment_first_one_current() -> None:
    env = {codec.ENV: f"{entry('k1', K1)}, {entry('k0', K0)}"}
    (only,) = codec.from_env(env)
    assert isinstance(only, goblins.AesGcmCodec) and only.kids == ["k1", "k0"]
    assert codec.from_env({}) == [] and codec.from_env({codec.ENV: " "}) == []


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("k1", "KID:BASE64KEY"),
        ("k1:not base64!", "entry 1"),
        (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        (f"{entry('k1', K1)},{entry('k1', K0)}", "twice"),
        (f"bad kid:{base64.b64encode(K1).decode()}", "key id"),
    ],
)
def test_a_bad_environment_value_is_one_error_naming_the_variable(value: str, why: str) -> None:
    with pytest.raises(CodecError, match=why) as info:
        codec.from_env({codec.ENV: value})
    assert str(info.value).startswith(codec.ENV)


def test_new_key_makes_an_entry_the_environment_accepts() -> None:
    made = codec.new_key("k7")
    (c,) = codec.from_env({codec.ENV: made})
    assert c.decode(c.encode(b"[1]")) == b"[1]"  # type: ignore[union-attr]


def test_the_cli_prints_a_new_key() -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run(
        [sys.executable, "-m", "goblins", "codec", "new-key", "--kid", "k9"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert out.startswith("k9:") and len(base64.b64decode(out[3:])) == 32


def test_display_decodes_with_the_key_and_says_encrypted_without() -> None:
    c = goblins.AesGcmCodec({"k1": K1})
    data = c.encode(orjson.dumps(["card-4111-1111"]))
    assert codec.display(data, [c]) == '["card-4111-1111"]'
    assert codec.display(data, []) == codec.ENCRYPTED == "encrypted"
    assert codec.display(data, [goblins.AesGcmCodec({"k2": K0})]) == "encrypted"
    assert codec.display(b'{"a":1}', []) == '{"a":1}'


def test_the_server_checks_an_envelope_not_the_json_it_cannot_read() -> None:
    data = goblins.AesGcmCodec({"k1": K1}).encode(b'{"not": "a list"}')
    assert bad_payload(data, "input", args=True) == ""  # the worker checks the list, after decoding
    assert "truncated" in bad_payload(b"\x00", "input")
    assert "truncated" in bad_payload(b"\x00\x20{}", "input")
    assert "not JSON" in bad_payload(b"\x00\x02{x", "input")
    assert '"codec"' in bad_payload(b"\x00\x02{}", "input")
    assert "JSON array" in bad_payload(b'{"a": 1}', "input", args=True)  # plain payloads: as before


@goblins.workflow
async def waits_for_a_signal(card: str) -> Any:
    return [card, await goblins.workflow.wait_for_signal("go")]


def history(chain: codec.PayloadCodec, signal: bytes) -> list[Any]:
    return [
        wire.history_event(
            "WORKFLOW_SCHEDULED", run_id="r", seq=1, workflow_name="waits_for_a_signal", input=chain.encode(b'["c"]')
        ),
        wire.history_event("WORKFLOW_STARTED", run_id="r", seq=2),
        wire.history_event("WORKFLOW_SIGNALED", run_id="r", seq=3, signal_name="go", input=signal),
    ]


def test_replay_with_the_key_reads_every_payload_and_encrypts_its_commands() -> None:
    chain = codec.chain([goblins.AesGcmCodec({"k1": K1})])
    assert chain is not None
    defn = workflow_definition(waits_for_a_signal)
    assert defn is not None
    done = WorkflowInstance("r", defn, chain).activate(history(chain, chain.encode(b'["ok"]')))  # type: ignore[abstract]
    assert done.failure is None
    output = done.commands[0].complete_workflow.output
    assert output[:1] == codec.MARK and converter.decode(output, codec=chain) == ["c", "ok"]


@pytest.mark.parametrize("signal_only", [False, True], ids=["input", "signal"])
def test_replay_without_the_key_fails_the_task_not_the_run(signal_only: bool) -> None:
    chain = codec.chain([goblins.AesGcmCodec({"k1": K1})])
    assert chain is not None
    defn = workflow_definition(waits_for_a_signal)
    assert defn is not None
    events = history(chain, chain.encode(b'["ok"]'))
    if signal_only:  # the input in clear (written before codecs), the signal encrypted
        events[0].workflow_scheduled.input = b'["c"]'
    done = WorkflowInstance("r", defn).activate(events)  # type: ignore[abstract]
    assert done.failure is not None and done.failure[0] == "CodecError", done
    assert not done.commands
