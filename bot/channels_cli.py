"""`apbot channels ...`: linking a provider's shared Slack (or Teams) channel to the provider,
so that `absent` and `present` work there and pupils are named by reference only."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.admin_cli import _change, _run
from bot.channels.teams.activities import channel_id_from as teams_channel_id
from bot.runtime import Runtime
from storage.db import transaction
from storage.services import shared_channels
from storage.services.directory import find_organisation
from storage.services.identity_links import LinkError


def register(subparsers: Any) -> None:
    """Add `channels link`, `channels unlink` and `channels list` to `apbot`."""
    channels = subparsers.add_parser("channels", help="shared channels linked to organisations")
    commands = channels.add_subparsers(dest="channels_command", metavar="ACTION", required=True)
    link = commands.add_parser("link", help="link a shared channel to an organisation")
    link.add_argument("--platform", choices=shared_channels.PLATFORMS, default="slack")
    link.add_argument(
        "--channel",
        required=True,
        help="the channel's id, e.g. C0123ABCD (Teams: its id, or its 'Get link to channel' link)",
    )
    link.add_argument("--org", required=True, help="the organisation's name or number")
    link.add_argument("--name", help="a name to show for the channel, e.g. #horizon-ap")
    link.set_defaults(handler=run_link)
    unlink = commands.add_parser("unlink", help="stop treating a channel as shared")
    unlink.add_argument("--platform", choices=shared_channels.PLATFORMS, default="slack")
    unlink.add_argument("--channel", required=True)
    unlink.set_defaults(handler=run_unlink)
    listing = commands.add_parser("list", help="the linked channels")
    listing.add_argument("--platform", choices=shared_channels.PLATFORMS)
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.set_defaults(handler=run_list)


def run_link(args: argparse.Namespace) -> int:
    """`apbot channels link --platform slack --channel C123 --org "Provider"`."""

    async def work(runtime: Runtime) -> int:
        async with transaction(runtime.sessions) as session:
            organisation = await find_organisation(session, args.org)
            if organisation is None:
                print(
                    f"No organisation is called (or numbered) {args.org}; see `apbot orgs list`.",
                    file=sys.stderr,
                )
                return 2
            try:
                channel = await shared_channels.link_channel(
                    session,
                    _change(runtime),
                    platform=args.platform,
                    external_id=(
                        teams_channel_id(args.channel) if args.platform == "teams" else args.channel
                    ),
                    organisation=organisation,
                    name=args.name,
                )
            except LinkError as error:
                print(str(error), file=sys.stderr)
                return 2
            hint = (
                "Add the app to the team, then @mention it once in the channel (e.g. help); "
                "absent and present then work there."
                if args.platform == "teams"
                else "Invite the bot to the channel; /ap absent and /ap present then work there."
            )
            print(
                f"Linked {args.platform} channel {channel.external_id} to {organisation.name}. {hint}"
            )
        return 0

    return _run(work)


def run_unlink(args: argparse.Namespace) -> int:
    """`apbot channels unlink --platform slack --channel C123`."""

    async def work(runtime: Runtime) -> int:
        async with transaction(runtime.sessions) as session:
            channel = await shared_channels.find_channel(session, args.platform, args.channel)
            if channel is None:
                print(f"No {args.platform} channel {args.channel} is linked.", file=sys.stderr)
                return 2
            await shared_channels.unlink_channel(session, _change(runtime), channel)
        print(f"Unlinked {args.platform} channel {args.channel}.")
        return 0

    return _run(work)


def run_list(args: argparse.Namespace) -> int:
    """`apbot channels list [--platform slack] [--json]`."""

    async def work(runtime: Runtime) -> int:
        async with transaction(runtime.sessions) as session:
            rows = [
                {
                    "platform": c.platform,
                    "channel": c.external_id,
                    "name": c.name,
                    "organisation": c.organisation.name,
                }
                for c in await shared_channels.list_channels(session, args.platform)
            ]
        if args.json:
            print(json.dumps(rows))
        elif not rows:
            print("No shared channels are linked yet (apbot channels link ...).")
        else:
            for row in rows:
                shown = f" ({row['name']})" if row["name"] else ""
                print(f"{row['platform']}  {row['channel']}{shown}  {row['organisation']}")
        return 0

    return _run(work)
