"""The ``goblins codec`` commands (part of goblins.cli, kept apart so that each area's commands
live in their own module): ``goblins codec new-key [--kid NAME]``."""

from __future__ import annotations

import argparse
from typing import Any

from goblins.codec import ENV, new_key


def cmd_new_key(args: argparse.Namespace) -> int:
    print(new_key(args.kid))
    return 0


def register(subparsers: Any) -> None:
    """Add ``codec`` and its commands to the CLI's subcommands."""
    codec = subparsers.add_parser("codec", help="payload encryption keys (see docs/security.md)")
    sub = codec.add_subparsers(dest="action", required=True)
    c = sub.add_parser(
        "new-key",
        help=f"print a new random AES-256 key as one KID:BASE64 entry of {ENV} (put it first to encrypt with it)",
    )
    c.add_argument("--kid", default="k1", help="the key's id, stored with every payload it encrypts (default k1)")
    c.set_defaults(func=cmd_new_key)
