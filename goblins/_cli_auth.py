"""``goblins auth``: add tokens and client-certificate subjects to a server's auth file.

``add-token`` prints the new token once on stdout (and nothing else there): the file keeps only
its SHA-256, so the printed line is the only copy.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import sys
from typing import Any

# goblins.server.auth's ROLES (a test pins them equal): the server's modules are imported only
# by the auth commands themselves, as by ``goblins server``, so that the client commands load none.
ROLES = ("admin", "client", "reader", "worker")


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string (control characters, quotes and backslashes escaped)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_entry(entry: dict[str, Any]) -> str:
    lines = ["", "[[principal]]"]
    for key, value in entry.items():
        if isinstance(value, list):
            lines.append(f"{key} = [{', '.join(_toml_string(v) for v in value)}]")
        else:
            lines.append(f"{key} = {_toml_string(value)}")
    return "\n".join(lines) + "\n"


def append_entry(path: pathlib.Path, entry: dict[str, Any]) -> None:
    """Check ``entry`` against the file's (which must load), then append it; a new file is made
    readable by its owner only."""
    from goblins.server.auth import AuthFileError, parse_entry, read_entries

    existing = read_entries(path) if path.exists() else []
    where = f"auth file {str(path)!r}, the new principal"
    new = parse_entry(entry, where)
    for old in existing:
        if new.subject is not None and old.subject == new.subject:
            raise AuthFileError(f"{where}: subject {new.subject!r} is already in the file ({old.principal.name!r})")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(_toml_entry(entry))


def _entry(args: argparse.Namespace, name: str, identity: dict[str, str]) -> dict[str, Any]:
    from goblins.server.auth import AuthFileError

    entry: dict[str, Any] = {"name": name, "role": args.role, **identity}
    for key in ("workflows", "activities"):
        names = _names(getattr(args, key))
        if names is not None:
            if args.role != "worker":
                raise AuthFileError(f"--{key}: only a worker's names are limited, not a {args.role}'s")
            entry[key] = names
    return entry


def cmd_add_token(args: argparse.Namespace) -> int:
    from goblins.server.auth import read_entries, token_sha256

    path = pathlib.Path(args.file)
    count = len(read_entries(path)) if path.exists() else 0
    token = secrets.token_urlsafe(32)
    name = args.name or f"{args.role}-{count + 1}"
    append_entry(path, _entry(args, name, {"token_sha256": token_sha256(token)}))
    print(f"goblins: added {args.role} {name!r} to {path} (the server reads it at start)", file=sys.stderr)
    print(token, flush=True)
    return 0


def cmd_add_subject(args: argparse.Namespace) -> int:
    path = pathlib.Path(args.file)
    append_entry(path, _entry(args, args.name or args.subject, {"subject": args.subject}))
    print(f"goblins: added {args.role} {args.subject!r} to {path} (the server reads it at start)", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add ``goblins auth`` and its subcommands to the CLI's parser."""
    a = subparsers.add_parser("auth", help="add tokens and certificate subjects to a server's --auth file")
    asub = a.add_subparsers(dest="auth_action", required=True)
    roles = ", ".join(ROLES)
    for name, help, func in (
        ("add-token", "make a token, store its hash in FILE, print it once", cmd_add_token),
        ("add-subject", "let a client certificate (mutual TLS) in by its subject or CN", cmd_add_subject),
    ):
        c = asub.add_parser(name, help=help)
        c.add_argument("file", metavar="FILE", help="the TOML auth file (created, mode 0600, if missing)")
        if name == "add-subject":
            c.add_argument("--subject", required=True, help="the certificate's subject or common name (CN)")
        c.add_argument("--role", required=True, choices=list(ROLES), help=roles)
        c.add_argument("--name", default=None, help="who it is, in logs and refusals")
        c.add_argument("--workflows", default=None, help="worker only: the workflow names it may host (a,b)")
        c.add_argument("--activities", default=None, help="worker only: the activity names it may host (x,y)")
        c.set_defaults(func=func)
