"""Attacks on the audit log by someone who can write the database behind the bot's back (the
SQLite file, or PostgreSQL's owner role, which can switch the append-only triggers off): every
change, removal or forgery shows when the hash chain is walked, and `apbot audit verify` says
which row and what."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.cli import main
from bot.settings import get_settings
from storage.db import admin_execute, create_engine
from storage.migrate import upgrade
from storage.models import AuditEntry
from storage.models.audit_chain import entry_values, row_hash
from storage.services.audit_chain import Anchor, verify_chain
from tests.support.database import BACKENDS, TEST_KEY, Database, postgres_url
from tests.support.factories import build_world
from tests.support.tamper import clear, database, tamper


async def verify(db: Database, *anchors: Anchor) -> str:
    async with db.sessions() as session:
        return (await verify_chain(session, anchors=anchors)).as_text()


async def rows(db: Database) -> Sequence[AuditEntry]:
    async with db.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


async def test_a_world_built_through_the_services_is_one_unbroken_chain(db, clock) -> None:
    await build_world(db, clock)
    written = await rows(db)
    assert len(written) > 10
    assert [entry.seq for entry in written] == list(range(1, len(written) + 1))
    assert len({entry.hash for entry in written}) == len(written)
    assert await verify(db) == (
        f"Audit log chain intact: {len(written)} row(s) verified; "
        f"head seq {len(written)}, hash {written[-1].hash}."
    )


async def test_a_row_changed_behind_the_bot_s_back_is_named(db, clock) -> None:
    # Threat: someone with write access to the database rewrites who did something.
    await build_world(db, clock)
    target = (await rows(db))[5]
    async with tamper(db) as connection:
        await connection.execute(
            text("UPDATE audit_log SET person_id = NULL, channel = 'cli' WHERE id = :id"),
            {"id": target.id},
        )
    assert await verify(db) == (
        f"Audit log chain BROKEN at row id {target.id} (seq {target.seq}): its stored hash does "
        f"not match its contents chained to row id {target.id - 1}: this row was changed or "
        f"forged, or row id {target.id - 1} was changed and given a new hash."
    )


async def test_a_row_removed_from_the_middle_is_named(db, clock) -> None:
    # Threat: someone deletes the record of what they did.
    await build_world(db, clock)
    written = await rows(db)
    async with tamper(db) as connection:
        await connection.execute(
            text("DELETE FROM audit_log WHERE seq IN (:a, :b)"),
            {"a": written[3].seq, "b": written[4].seq},
        )
    assert await verify(db) == (
        f"Audit log chain BROKEN at row id {written[5].id} (seq {written[5].seq}): the row(s) "
        f"with seq 4 to 5, after row id {written[2].id}, are missing: removed (or this row was "
        "written by hand with a seq of its own)."
    )


async def test_a_row_forged_with_a_made_up_hash_is_named(db, clock) -> None:
    # Threat: someone adds an entry that makes another person look responsible.
    await build_world(db, clock)
    last = (await rows(db))[-1]
    async with tamper(db) as connection:
        await connection.execute(
            text(
                "INSERT INTO audit_log (at, person_id, channel, action, record_type, record_id,"
                " changes, seq, hash) VALUES (:at, NULL, 'slack', 'deleted', 'Placement', 1,"
                " '{}', :seq, :hash)"
            ),
            {"at": last.at.replace(tzinfo=None), "seq": last.seq + 1, "hash": "ab" * 32},
        )
    report = await verify(db)
    assert report.startswith(f"Audit log chain BROKEN at row id {last.id + 1} (seq {last.seq + 1})")
    assert "this row was changed or forged" in report


async def test_a_rewritten_chain_passes_alone_but_not_against_a_head_kept_elsewhere(
    db, clock
) -> None:
    # The limit, stated in docs/audit.md: the chain has no secret, so someone who can write the
    # database and recomputes every later hash leaves a chain that holds together. A head
    # printed earlier by `apbot audit verify` and kept off the server still catches it.
    await build_world(db, clock)
    written = await rows(db)
    kept = Anchor(written[-1].seq, written[-1].hash)
    async with tamper(db) as connection:
        await connection.execute(
            text("UPDATE audit_log SET channel = 'cli' WHERE id = :id"), {"id": written[2].id}
        )
        # The algorithm is no secret (it is in the code): every later hash is recomputed.
        previous = written[1].hash
        for entry in written[2:]:
            values = entry_values(entry)
            if entry.id == written[2].id:
                values["channel"] = "cli"
            previous = row_hash(previous, values)
            await connection.execute(
                text("UPDATE audit_log SET hash = :hash WHERE id = :id"),
                {"hash": previous, "id": entry.id},
            )
    assert (await verify(db)).startswith("Audit log chain intact")
    assert await verify(db, kept) == (
        f"Audit log chain BROKEN at row id {written[-1].id} (seq {written[-1].seq}): the chain "
        f"no longer passes through the anchor recorded for seq {written[-1].seq}: rows at or "
        "before it were changed and every later hash rewritten."
    )


async def test_the_newest_rows_cut_off_show_against_a_head_kept_elsewhere(db, clock) -> None:
    await build_world(db, clock)
    written = await rows(db)
    kept = Anchor(written[-1].seq, written[-1].hash)
    async with tamper(db) as connection:
        await connection.execute(text("DELETE FROM audit_log WHERE seq > 3"))
    assert (await verify(db)).startswith("Audit log chain intact: 3 row(s)")
    assert await verify(db, kept) == (
        f"Audit log chain BROKEN at the log: the log ends at seq 3, but seq {kept.seq} was "
        "recorded earlier: the newest rows were removed."
    )


def test_apbot_audit_verify_exits_non_zero_with_the_broken_row(
    db_url: str, clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def world() -> None:
        async with database(db_url) as db:
            await build_world(db, clock)

    async def change_row_eight() -> AuditEntry:
        async with database(db_url) as db:
            target = (await rows(db))[7]
            async with tamper(db) as connection:
                await connection.execute(
                    text("UPDATE audit_log SET action = 'viewed' WHERE id = :id"), {"id": target.id}
                )
            return target

    asyncio.run(world())
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    get_settings.cache_clear()
    try:
        assert main(["audit", "verify"]) == 0
        head = capsys.readouterr().out.strip()
        assert head.startswith("Audit log chain intact")
        seq, digest = head.split("head seq ")[1].rstrip(".").split(", hash ")
        assert main(["audit", "verify", "--anchor", f"{seq}:{digest}"]) == 0
        capsys.readouterr()

        target = asyncio.run(change_row_eight())
        assert main(["audit", "verify"]) == 1
        assert capsys.readouterr().out.startswith(
            f"Audit log chain BROKEN at row id {target.id} (seq {target.seq}): its stored hash"
        )
        assert main(["audit", "verify", "--anchor", "12:nothex"]) == 2
        assert "an anchor is SEQ:HASH" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
        asyncio.run(clear(db_url))


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_written_before_the_chain_are_chained_by_the_migration(
    backend: str, tmp_path: Path
) -> None:
    scratch = f"apsg_chain_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        asyncio.run(admin_execute(postgres_url("postgres"), f'CREATE DATABASE "{scratch}"'))
        url = postgres_url(scratch)

    async def write_old_rows() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            for number in range(1, 6):
                await connection.execute(
                    text(
                        "INSERT INTO audit_log (at, person_id, channel, action, record_type,"
                        " record_id, placement_id, changes) VALUES ('2026-11-20 09:00:0"
                        f"{number}.000000', NULL, 'cli', 'created', 'Pupil', {number}, NULL,"
                        ' \'{"year_group": 9, "first_name": "(recorded)"}\')'
                    )
                )
        await engine.dispose()

    async def check() -> None:
        async with database(url) as db:
            assert [entry.seq for entry in await rows(db)] == [1, 2, 3, 4, 5]
            assert (await verify(db)).startswith("Audit log chain intact: 5 row(s) verified")

    try:
        upgrade(url, "0009_reminder_sweeps")
        asyncio.run(write_old_rows())
        upgrade(url)
        asyncio.run(check())
    finally:
        if backend == "postgres":
            drop = f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'
            asyncio.run(admin_execute(postgres_url("postgres"), drop))
