"""`apbot channels ...`: linking a provider's shared Slack (or Teams) channel to the provider,
so that `absent` and `present` work there and pupils are named by reference only."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.channels.teams.activities import channel_id_from as teams_channel_id
from bot.cli.common import change, organisation_named
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from storage.db import transaction
from storage.services import shared_channels


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
    link.set_defaults(handler=on_database(link_shared))
    unlink = commands.add_parser("unlink", help="stop treating a channel as shared")
    unlink.add_argument("--platform", choices=shared_channels.PLATFORMS, default="slack")
    unlink.add_argument("--channel", required=True)
    unlink.set_defaults(handler=on_database(unlink_shared))
    listing = commands.add_parser("list", help="the linked channels")
    listing.add_argument("--platform", choices=shared_channels.PLATFORMS)
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.set_defaults(handler=on_database(list_linked))


async def link_shared(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot channels link --platform slack --channel C123 --org "Provider"`."""
    async with transaction(runtime.sessions) as session:
        organisation = await organisation_named(session, args.org)
        channel = await shared_channels.link_channel(
            session,
            change(runtime),
            platform=args.platform,
            external_id=(
                teams_channel_id(args.channel) if args.platform == "teams" else args.channel
            ),
            organisation=organisation,
            name=args.name,
        )
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


async def unlink_shared(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot channels unlink --platform slack --channel C123`."""
    async with transaction(runtime.sessions) as session:
        channel = await shared_channels.find_channel(session, args.platform, args.channel)
        if channel is None:
            raise Refused(f"No {args.platform} channel {args.channel} is linked.")
        await shared_channels.unlink_channel(session, change(runtime), channel)
    print(f"Unlinked {args.platform} channel {args.channel}.")
    return 0


async def list_linked(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot channels list [--platform slack] [--json]`."""
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
