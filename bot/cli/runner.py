"""The one way an `apbot` command runs, and what it says when it cannot.

A command that needs the database is registered with `on_database(work)`: settings are read,
the encryption key is loaded and checked (`bot.runtime.open_runtime`), the database is checked
to be migrated, then `work(runtime, args)` runs. Every command, with the database or without,
is run by `run`, which turns what went wrong into one message on stderr and an exit code:

- 0: done.
- 1: it could not be done here: the database is not migrated or cannot be reached, the key is
  missing or does not open the data, or a check found a fault (`apbot audit verify`); or we
  went wrong: then the message gives an error id, and the log the details under it.
- 2: what was asked cannot be done as asked (argparse's own code for a bad command line too): a
  date that is not a date, an organisation nobody set up, a record the rules refuse.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from bot.channels.teams.manifest import ManifestError
from bot.runtime import Runtime, open_runtime
from dialogs.parsing import AnswerError
from storage.clock import Clock
from storage.crypto import EncryptionNotConfigured
from storage.db import DATABASE_UNREACHABLE
from storage.migrate import AppRoleError, alembic_config
from storage.services.directory import DirectoryError
from storage.services.identity_links import LinkError

log = logging.getLogger("apbot")

NOT_MIGRATED = "The database is not set up yet: run `apbot migrate` first."
OUT_OF_DATE = "The database's tables are out of date: run `apbot migrate` first."

Handler = Callable[[argparse.Namespace], int]
Work = Callable[[Runtime, argparse.Namespace], Awaitable[int]]


class Refused(Exception):
    """What was asked cannot be done as asked; the message says why, in words for the person."""


class CannotRun(Exception):
    """The command cannot run here until someone sets something up; the message says what."""


# Mistakes a person can make, raised by the services with words for them: exit code 2.
USER_ERRORS: tuple[type[Exception], ...] = (
    Refused,
    AnswerError,
    DirectoryError,
    LinkError,
    ManifestError,
)
# Set-up that is missing or wrong (the message says what to do): exit code 1, no error id.
SET_UP_ERRORS: tuple[type[Exception], ...] = (CannotRun, EncryptionNotConfigured, AppRoleError)
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, ProgrammingError)


async def require_migrated(runtime: Runtime) -> None:
    """Raise `CannotRun` unless `apbot migrate` has brought the tables up to this version. A
    database migrated by a newer version (a revision this one does not know) is left to run."""
    try:
        async with runtime.engine.connect() as connection:
            current = set(
                await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_heads()
                )
            )
    except DATABASE_UNREACHABLE as error:
        raise CannotRun(f"The database could not be used: {_reason(error)}") from error
    if not current:
        raise CannotRun(NOT_MIGRATED)
    scripts = ScriptDirectory.from_config(alembic_config(runtime.settings.database_url))
    known = {script.revision for script in scripts.walk_revisions()}
    if current <= known and current != set(scripts.get_heads()):
        raise CannotRun(OUT_OF_DATE)


@asynccontextmanager
async def opened(clock: Clock | None = None) -> AsyncIterator[Runtime]:
    """The runtime of a command that uses the database: settings, key and migration checked."""
    async with open_runtime(clock=clock) as runtime:
        await require_migrated(runtime)
        yield runtime


def on_database(
    work: Work, *, clock: Callable[[argparse.Namespace], Clock | None] | None = None
) -> Handler:
    """A handler that runs `work` in `opened()`; `clock` (from the arguments) replaces the
    system clock, e.g. `apbot tick --at`. It is read before the database is opened, so a
    mistake in it is said before anything else happens."""

    def handler(args: argparse.Namespace) -> int:
        chosen = clock(args) if clock else None

        async def main() -> int:
            async with opened(chosen) as runtime:
                return await work(runtime, args)

        return asyncio.run(main())

    return handler


def run(args: argparse.Namespace) -> int:
    """Run the command argparse chose; every failure becomes a message and an exit code."""
    handler: Handler = args.handler
    try:
        return handler(args)
    except USER_ERRORS as error:
        print(str(error), file=sys.stderr)
        return 2
    except SET_UP_ERRORS as error:
        print(str(error), file=sys.stderr)
        return 1
    except DATABASE_ERRORS as error:
        print(f"The database could not be used: {_reason(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        log.exception("apbot %s failed (error id %s)", args.command, error_id)
        print(
            f"Something went wrong on our side (error id {error_id}). The details are logged "
            "under that id: quote it when you report this.",
            file=sys.stderr,
        )
        return 1


def _reason(error: Exception) -> str:
    orig = getattr(error, "orig", None)
    return str(orig or error) or type(error).__name__
