"""`apbot`: the command line. One module per command group registers its subcommands here;
`bot.cli.runner` runs every one of them the same way."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.cli import (
    census,
    channels,
    chat,
    directory,
    imports,
    manifest,
    privacy,
    runner,
    scheduler,
    school_csv,
    server,
    worker,
    workspaces,
)

# In the order `apbot --help` lists them.
COMMAND_GROUPS = (
    server,
    worker,
    chat,
    directory,
    imports,
    scheduler,
    privacy,
    channels,
    workspaces,
    manifest,
    school_csv,
    census,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apbot",
        description="AP Safeguard: safer commissioning of Alternative Provision, in Slack and Teams.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `apbot` command; the exit code says whether it worked (see `bot.cli.runner`)."""
    args = build_parser().parse_args(argv)
    return runner.run(args)
