"""`apbot workspaces ...` and `apbot tenants ...`: which organisations' people use each Slack
workspace and each Microsoft 365 tenant. People are recognised only within a workspace or
tenant mapped to their own organisation (docs/rollout.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.common import organisation_named, table
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from storage.db import transaction
from storage.services import workspaces

# (command, platform, what one is called, the example id in its help)
GROUPS = (
    ("workspaces", "slack", "Slack workspace", "TEAM_ID", "T0123ABCD (or an Enterprise Grid E...)"),
    ("tenants", "teams", "Microsoft 365 tenant", "TENANT_ID", "the tenant's GUID"),
)


def register(subparsers: Any) -> None:
    """Add `workspaces list|link|unlink` and `tenants list|link|unlink` to `apbot`."""
    for command, platform, called, metavar, example in GROUPS:
        group = subparsers.add_parser(
            command, help=f"the {called}s mapped to organisations (who uses which)"
        )
        actions = group.add_subparsers(dest=f"{command}_command", metavar="ACTION", required=True)
        link = actions.add_parser("link", help=f"map a {called} to an organisation")
        link.add_argument("external_id", metavar=metavar, help=example)
        link.add_argument("--org", required=True, help="the organisation's name or number")
        link.add_argument("--name", help=f"a name to show for the {called}")
        link.set_defaults(handler=on_database(link_one), platform=platform, called=called)
        unlink = actions.add_parser("unlink", help=f"stop mapping a {called} to an organisation")
        unlink.add_argument("external_id", metavar=metavar, help=example)
        unlink.add_argument("--org", required=True, help="the organisation's name or number")
        unlink.set_defaults(handler=on_database(unlink_one), platform=platform, called=called)
        listing = actions.add_parser("list", help=f"the {called}s mapped, and to whom")
        listing.add_argument("--json", action="store_true", help="one JSON array")
        listing.set_defaults(handler=on_database(list_all), platform=platform, called=called)


async def link_one(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot workspaces link T0123ABCD --org "Oakfield Academy" [--name ...]`."""
    async with transaction(runtime.sessions) as session:
        organisation = await organisation_named(session, args.org)
        link = await workspaces.link_workspace(
            session,
            platform=args.platform,
            external_id=args.external_id,
            organisation_id=organisation.id,
            by_person_id=None,
            name=args.name,
            at=runtime.clock.now(),
        )
    print(
        f"Mapped {args.called} {link.external_id} to {organisation.name}: its people are "
        "recognised there from their next message."
    )
    return 0


async def unlink_one(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot workspaces unlink T0123ABCD --org "Oakfield Academy"`."""
    async with transaction(runtime.sessions) as session:
        organisation = await organisation_named(session, args.org)
        external_id = workspaces.normalised_id(args.platform, args.external_id)
        removed = await workspaces.unlink_workspace(
            session,
            platform=args.platform,
            external_id=external_id,
            organisation_id=organisation.id,
            by_person_id=None,
            at=runtime.clock.now(),
        )
    if not removed:
        raise Refused(
            f"{args.called} {external_id} is not mapped to {organisation.name}; "
            f"see `apbot {_command(args.platform)} list`."
        )
    print(
        f"Unmapped {args.called} {external_id} from {organisation.name}: its people there are "
        "now told to ask their admin (their records are kept)."
    )
    return 0


async def list_all(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot workspaces list [--json]`."""
    async with transaction(runtime.sessions) as session:
        links = await workspaces.list_workspaces(session, platform=args.platform)
        rows: list[dict[str, Any]] = [
            {
                "id": link.external_id,
                "name": link.name,
                "organisation": link.organisation.name,
                "organisation_id": link.organisation_id,
            }
            for link in links
        ]
    if args.json:
        print(json.dumps(rows))
    elif not rows:
        print(
            f"No {args.called} is mapped yet (apbot {_command(args.platform)} link ID --org NAME)."
        )
    else:
        print(
            table(
                [(link.external_id, link.name or "", link.organisation.name) for link in links],
                (args.called, "name", "organisation"),
            )
        )
    return 0


def _command(platform: str) -> str:
    return next(command for command, p, *_ in GROUPS if p == platform)
