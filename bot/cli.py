"""`apbot`: the command line. Every subcommand lives in its own module and registers here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import (
    admin_cli,
    channels_cli,
    chat_cli,
    followup_cli,
    manifest_cli,
    privacy_cli,
    scheduler_cli,
    server_cli,
)
from storage.crypto import EncryptionNotConfigured


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apbot",
        description="AP Safeguard: safer commissioning of Alternative Provision, in Slack and Teams.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    server_cli.register(subparsers)
    chat_cli.register(subparsers)
    admin_cli.register(subparsers)
    scheduler_cli.register(subparsers)
    privacy_cli.register(subparsers)
    channels_cli.register(subparsers)
    manifest_cli.register(subparsers)
    followup_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `apbot` command; the exit code says whether it worked."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
    except EncryptionNotConfigured as error:  # e.g. PostgreSQL without ENCRYPTION_KEYS
        print(error, file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
