"""``goblins ui``: its flags and its command (the web UI itself is goblins.webui)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of ``goblins ui`` beyond --server, --host and --port."""
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help="also answer requests for this Host (repeatable): the name browsers use to reach the UI when it "
        "is not localhost or the bind address; without a port, any port",
    )
    parser.add_argument("--https-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--https-key", metavar="FILE", help="the private key of --https-cert (PEM)")
    parser.set_defaults(func=cmd_ui)


def cmd_ui(args: argparse.Namespace) -> int:
    from goblins._cli_tls import client_tls
    from goblins.cli import UserError
    from goblins.webui import WebUI

    if bool(args.https_cert) != bool(args.https_key):
        raise UserError("--https-cert and --https-key go together")
    ui = WebUI(
        args.server,
        args.host,
        args.port,
        allowed_hosts=args.allowed_host,
        token=os.environ.get("GOBLINS_TOKEN") or None,
        certfile=args.https_cert,
        keyfile=args.https_key,
        tls=client_tls(args),
    )

    async def main() -> None:
        try:
            await ui.open()
        except OSError as exc:
            await ui.close()
            raise UserError(
                f"--port {args.port}: cannot listen on {args.host}:{args.port} ({exc.strerror or exc})"
            ) from None
        except BaseException:
            await ui.close()
            raise
        scheme = "https" if args.https_cert else "http"
        # The line tests and scripts wait for: where the page is.
        print(f"goblins ui on {scheme}://{ui.host}:{ui.port}/ -> server {args.server}", file=sys.stderr, flush=True)
        try:
            await ui.serve()
        finally:
            await ui.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0
