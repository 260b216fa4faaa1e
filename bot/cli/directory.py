"""`apbot seed-demo`, `apbot people ...` and `apbot orgs ...`: setting up who is who."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sqlalchemy import func, select

from bot.cli.common import change, organisation_named, table
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from dialogs.parsing import AnswerError, parse_hours
from storage.db import transaction
from storage.demo import DemoSummary, seed_demo
from storage.models import Organisation, OrgKind, Person, RegistrationStatus, Role, SiteKind
from storage.services import directory
from storage.services.identity_links import unlink_teams_user


def register(subparsers: Any) -> None:
    """Add `seed-demo`, `people` and `orgs` to the `apbot` command line."""
    seed = subparsers.add_parser("seed-demo", help="load the fictional demo schools and pupils")
    seed.add_argument(
        "--if-empty", action="store_true", help="only when no organisations are set up yet"
    )
    seed.add_argument("--quiet", action="store_true", help="print nothing when all is well")
    seed.set_defaults(handler=on_database(seed_demo_command))

    people = subparsers.add_parser("people", help="list or add the people who use the bot")
    people_commands = people.add_subparsers(dest="people_command", metavar="ACTION", required=True)
    people_list = people_commands.add_parser("list", help="everyone set up, by organisation")
    people_list.add_argument("--json", action="store_true", help="print a JSON array")
    people_list.set_defaults(handler=on_database(list_people))
    people_add = people_commands.add_parser("add", help="set up a person")
    people_add.add_argument("--name", required=True)
    people_add.add_argument("--email", required=True)
    people_add.add_argument("--role", required=True, choices=[role.value for role in Role])
    people_add.add_argument("--org", help="their organisation, by name or id (not for an admin)")
    people_add.add_argument("--slack-user-id", help="their Slack user id (U...)")
    people_add.add_argument("--teams-aad-object-id", help="their Microsoft Entra object id")
    people_add.set_defaults(handler=on_database(add_person))
    unlink_teams = people_commands.add_parser(
        "unlink-teams", help="forget a person's Teams account (they link again on first contact)"
    )
    unlink_teams.add_argument("email")
    unlink_teams.set_defaults(handler=on_database(unlink_teams_account))

    orgs = subparsers.add_parser("orgs", help="list or add schools, providers and LAs")
    orgs_commands = orgs.add_subparsers(dest="orgs_command", metavar="ACTION", required=True)
    orgs_list = orgs_commands.add_parser("list", help="every organisation, by name")
    orgs_list.add_argument("--json", action="store_true", help="print a JSON array")
    orgs_list.add_argument("--kind", choices=[kind.value for kind in OrgKind])
    orgs_list.set_defaults(handler=on_database(list_orgs))
    orgs_add = orgs_commands.add_parser("add", help="set up a school, provider or LA")
    orgs_add.add_argument("--kind", required=True, choices=[kind.value for kind in OrgKind])
    orgs_add.add_argument("--name", required=True)
    orgs_add.add_argument("--urn")
    orgs_add.add_argument("--ukprn")
    orgs_add.add_argument("--la", help="the local authority it sits in, by name or id")
    orgs_add.add_argument(
        "--registration",
        choices=[status.value for status in RegistrationStatus],
        help="a provider's registration status",
    )
    orgs_add.add_argument("--address")
    orgs_add.add_argument("--full-time-hours", help="a school's full-time week (default 32.5)")
    orgs_add.set_defaults(handler=on_database(add_org))
    add_site = orgs_commands.add_parser("add-site", help="add an address where a provider teaches")
    add_site.add_argument("--provider", required=True, help="the provider, by name or id")
    add_site.add_argument("--name", required=True)
    add_site.add_argument("--address", required=True)
    add_site.add_argument("--postcode")
    add_site.add_argument(
        "--kind",
        choices=[kind.value for kind in SiteKind],
        default=SiteKind.main.value,
        help="the provider's main site (default), a satellite site, or a subcontracted "
        "provider's site",
    )
    add_site.add_argument("--subcontractor", help="a subcontracted site: who runs it")
    add_site.add_argument(
        "--subcontractor-urn", help="a subcontracted site: the subcontractor's URN"
    )
    add_site.add_argument("--phone", help="who to ring at this address")
    add_site.set_defaults(handler=on_database(add_provider_site))


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def describe_demo(summary: DemoSummary) -> str:
    """What `seed-demo` did, in plain words."""
    if not summary.created:
        return "Demo data already present; nothing changed."
    return (
        "Demo data loaded: "
        + ", ".join(
            [
                _count(summary.local_authorities, "local authority", "local authorities"),
                _count(summary.schools, "school", "schools"),
                _count(summary.providers, "provider", "providers"),
                _count(summary.people, "person", "people"),
                _count(summary.pupils, "pupil", "pupils"),
                _count(summary.placements, "placement", "placements"),
            ]
        )
        + "."
    )


async def seed_demo_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot seed-demo [--if-empty] [--quiet]`."""
    async with transaction(runtime.sessions) as session:
        if args.if_empty and await session.scalar(select(func.count(Organisation.id))):
            message = "Organisations are already set up; demo data not loaded."
        else:
            message = describe_demo(await seed_demo(session, clock=runtime.clock))
    if not args.quiet:
        print(message)
    return 0


def _person_json(person: Person) -> dict[str, Any]:
    return {
        "email": person.email,
        "name": person.name,
        "role": person.role.value,
        "organisation": person.organisation.name if person.organisation else None,
        "slack_user_id": person.slack_user_id,
        "teams_aad_object_id": person.teams_aad_object_id,
    }


async def list_people(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot people list [--json]`."""
    async with transaction(runtime.sessions) as session:
        people = [_person_json(person) for person in await directory.list_people(session)]
    if args.json:
        print(json.dumps(people, indent=2))
    elif not people:
        print("Nobody is set up yet. Add someone with `apbot people add`.")
    else:
        rows = [[p["email"], p["name"], p["role"], p["organisation"] or "-"] for p in people]
        print(table(rows, ["email", "name", "role", "organisation"]))
    return 0


async def add_person(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot people add --name N --email E --role R [--org ORG]`."""
    async with transaction(runtime.sessions) as session:
        organisation = await organisation_named(session, args.org) if args.org is not None else None
        person = await directory.add_person(
            session,
            change(runtime),
            name=args.name,
            email=args.email,
            role=Role(args.role),
            organisation_id=organisation.id if organisation else None,
            slack_user_id=args.slack_user_id,
            teams_aad_object_id=args.teams_aad_object_id,
        )
        where = f" at {organisation.name}" if organisation else ""
        message = f"Added {person.name} <{person.email}> as {person.role.value}{where}."
    print(message)
    return 0


async def unlink_teams_account(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot people unlink-teams EMAIL`: after a refused Teams link, say."""
    async with transaction(runtime.sessions) as session:
        person = await directory.find_person_by_email(session, args.email)
        if person is None:
            raise Refused(f"Nobody is set up with the email {args.email}.")
        unlinked = await unlink_teams_user(session, change(runtime), person)
    print(
        f"Unlinked {person.email} from their Teams account."
        if unlinked
        else f"{person.email} was not linked to a Teams account."
    )
    return 0


def _organisation_json(organisation: Organisation) -> dict[str, Any]:
    status = organisation.registration_status
    return {
        "id": organisation.id,
        "kind": organisation.kind.value,
        "name": organisation.name,
        "urn": organisation.urn,
        "ukprn": organisation.ukprn,
        "la_id": organisation.la_id,
        "registration_status": status.value if status else None,
        "address": organisation.address,
        "full_time_hours": str(organisation.full_time_hours),
        "sites": [
            {
                "id": site.id,
                "name": site.name,
                "address": site.address,
                "postcode": site.postcode,
                "kind": site.kind.value,
                "subcontractor_name": site.subcontractor_name,
                "subcontractor_urn": site.subcontractor_urn,
                "phone": site.phone,
            }
            for site in organisation.sites
        ],
    }


async def list_orgs(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot orgs list [--json] [--kind K]`."""
    kind = OrgKind(args.kind) if args.kind else None
    async with transaction(runtime.sessions) as session:
        organisations = await directory.list_organisations(session, kind)
        rows = [_organisation_json(organisation) for organisation in organisations]
        labels = {o.id: o.registration_status.label for o in organisations if o.registration_status}
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("No organisations are set up yet. Add one with `apbot orgs add`.")
    else:
        cells = [
            [str(r["id"]), r["kind"], r["name"], labels.get(r["id"], "-"), r["urn"] or "-",
             str(len(r["sites"])) if r["kind"] == OrgKind.provider else "-"]
            for r in rows
        ]  # fmt: skip
        print(table(cells, ["id", "kind", "name", "registration", "urn", "sites"]))
    return 0


async def add_org(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot orgs add --kind K --name N [--urn] [--ukprn] [--la] [--registration] [--address]`."""
    try:
        hours = parse_hours(args.full_time_hours) if args.full_time_hours is not None else None
    except AnswerError as error:
        raise Refused(f"--full-time-hours: {error}") from None
    async with transaction(runtime.sessions) as session:
        la = await organisation_named(session, args.la) if args.la is not None else None
        organisation = await directory.add_organisation(
            session,
            change(runtime),
            kind=OrgKind(args.kind),
            name=args.name,
            urn=args.urn,
            ukprn=args.ukprn,
            la_id=la.id if la else None,
            registration_status=(
                RegistrationStatus(args.registration) if args.registration else None
            ),
            address=args.address,
            full_time_hours=hours,
        )
        kind = organisation.kind.value.replace("_", " ")
        message = f"Added {kind} {organisation.name} (id {organisation.id})."
    print(message)
    return 0


async def add_provider_site(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot orgs add-site --provider P --name N --address A [--postcode] [--kind K]
    [--subcontractor S] [--subcontractor-urn U] [--phone T]`."""
    async with transaction(runtime.sessions) as session:
        provider = await organisation_named(session, args.provider)
        site = await directory.add_site(
            session,
            change(runtime),
            provider_id=provider.id,
            name=args.name,
            address=args.address,
            postcode=args.postcode,
            kind=SiteKind(args.kind),
            subcontractor_name=args.subcontractor,
            subcontractor_urn=args.subcontractor_urn,
            phone=args.phone,
        )
        what = site.kind.label + (
            f" run by {site.subcontractor_name}" if site.subcontractor_name else ""
        )
        message = f"Added site {site.name} to {provider.name} (site id {site.id}, {what})."
    print(message)
    return 0
