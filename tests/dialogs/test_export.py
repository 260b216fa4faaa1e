"""Export of a pupil's full record: complete for the DSL, refused to everyone else, audited."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from storage.models import AuditEntry
from tests.support.chat import JsonChat
from tests.support.world import school_with_ap


async def test_dsl_exports_the_whole_record(db, clock) -> None:
    world, first, _ = await school_with_ap(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    out = await chat.say(f"export {first.reference}")
    assert out[-1]["kind"] == "confirm" and "secure transfer" in out[-1]["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and "Jamie Testpupil" in done["text"]
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    record = json.loads(files[".json"].read_text())
    assert record["pupil"]["upn"] == "A123456789012"
    placement = record["placements"][0]
    assert placement["reference"] == first.reference
    assert placement["qa_visits"][0]["pupil_voice"] == "Jamie says the farm days are the best bit."
    assert {a["code"] for a in placement["attendance"]} == {"I"}
    assert any(c["key"] == "letter_of_assurance" for c in placement["checklist"])
    assert (
        placement["reason"] == "other" and placement["reason_detail"] == "Re-engagement programme"
    )
    assert placement["reason_text"] == "Other: Re-engagement programme"
    pdf = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(files[".pdf"].read_bytes())).pages
    )
    assert "Jamie Testpupil" in pdf and "farm days" in pdf and "CONFIDENTIAL" in pdf
    assert "Why in AP: Other: Re-engagement programme" in pdf
    async with db.sessions() as session:
        exported = await session.scalar(select(AuditEntry).where(AuditEntry.action == "exported"))
        assert exported is not None and exported.person_id == world.dsl.id
        assert exported.changes == {"placements": [first.reference]}


async def test_nobody_else_can_export(db, clock) -> None:
    world, first, _ = await school_with_ap(db, clock)
    for person in (world.teacher, world.provider_staff):
        out = await (await JsonChat.as_email(db, clock, person.email)).say(
            f"export {first.reference}"
        )
        assert out[0]["type"] == "error" and "isn't available" in out[0]["text"]
    other = await (await JsonChat.as_email(db, clock, world.other_dsl.email)).say(
        f"export {first.reference}"
    )
    assert other[0]["type"] == "error" and first.reference in other[0]["text"]
