"""`apbot import staff|pupils|organisations FILE.csv`: onboarding from a school's own data (its
MIS export) and the DfE's Get Information about Schools file. Each prints the lines it refused
(with their numbers and why), then what was added, updated and left unchanged; `--dry-run` does
the same and changes nothing. Any refused line makes the exit code 2 (the rest is imported)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import change, organisation_named
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from storage.imports import (
    ImportReport,
    decode,
    import_establishments,
    import_pupils,
    import_staff,
)
from storage.models import Organisation, OrgKind


def register(subparsers: Any) -> None:
    """Add `import staff`, `import pupils` and `import organisations` to `apbot`."""
    parser = subparsers.add_parser(
        "import", help="load staff, pupils or establishments from a CSV file"
    )
    commands = parser.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    for what, helped in (
        ("staff", "an organisation's staff from its MIS export (name, email, role)"),
        ("pupils", "a school's pupils from its MIS export (UPN, names, date of birth, ...)"),
    ):
        command = commands.add_parser(what, help=helped)
        command.add_argument("file", type=Path, metavar="FILE.csv")
        command.add_argument("--org", required=True, help="their organisation, by URN, name or id")
        command.add_argument(
            "--dry-run", action="store_true", help="check the file; change nothing"
        )
        command.set_defaults(handler=on_database(import_people))
    orgs = commands.add_parser(
        "organisations",
        help="schools, PRUs, AP academies and free schools from GIAS's establishment export",
    )
    orgs.add_argument("file", type=Path, metavar="FILE.csv")
    orgs.add_argument(
        "--la", dest="la_code", metavar="CODE", help="only the establishments of this LA code"
    )
    orgs.add_argument(
        "--la-org",
        metavar="LA",
        help="the local authority they sit in, by name or id (default: by the file's LA name)",
    )
    orgs.add_argument("--dry-run", action="store_true", help="check the file; change nothing")
    orgs.set_defaults(handler=on_database(import_organisations))


def _read(path: Path) -> str:
    try:
        return decode(path.read_bytes())
    except OSError as error:
        raise Refused(f"Can't read {path}: {error.strerror}.") from None


async def _organisation(session: AsyncSession, text: str) -> Organisation:
    """The organisation named by `--org`: its URN (6 digits), name or id."""
    text = text.strip()
    if len(text) == 6 and text.isdigit():
        found = await session.scalar(
            select(Organisation).where(Organisation.urn == text).order_by(Organisation.id).limit(1)
        )
        if found is not None:
            return found
    return await organisation_named(session, text)


async def _run(
    runtime: Runtime, dry_run: bool, work: Callable[[AsyncSession], Awaitable[ImportReport]]
) -> int:
    """Run an import in one transaction: committed, or rolled back for a dry run."""
    async with runtime.sessions() as session:
        try:
            report = await work(session)
        except BaseException:
            await session.rollback()
            raise
        if dry_run:
            await session.rollback()
            report.dry_run = True
        else:
            await session.commit()
    print(report.summary())
    return 2 if report.refused else 0


async def import_people(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot import staff|pupils FILE.csv --org ORG [--dry-run]`."""
    text = _read(args.file)
    importer = import_staff if args.import_command == "staff" else import_pupils

    async def work(session: AsyncSession) -> ImportReport:
        organisation = await _organisation(session, args.org)
        return await importer(session, change(runtime), organisation=organisation, text=text)

    return await _run(runtime, args.dry_run, work)


async def import_organisations(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot import organisations FILE.csv [--la CODE] [--la-org LA] [--dry-run]`."""
    text = _read(args.file)

    async def work(session: AsyncSession) -> ImportReport:
        la = await organisation_named(session, args.la_org) if args.la_org else None
        if la is not None and la.kind != OrgKind.local_authority:
            raise Refused(f"{la.name} is not a local authority.")
        return await import_establishments(
            session, change(runtime), text=text, la_code=args.la_code, la=la
        )

    return await _run(runtime, args.dry_run, work)
