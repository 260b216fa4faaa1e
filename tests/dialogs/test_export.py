"""Export of a pupil's full record: complete for the DSL, refused to everyone else, audited."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from storage.models import (
    AuditEntry,
    Placement,
    RegisterSession,
    WelfareCall,
    WelfareContact,
    WelfareNextStep,
)
from storage.services.attendance import report_absence
from storage.services.audit import Change
from storage.services.welfare import CallFindings, log_attempt
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
    assert "Why in AP Other: Re-engagement programme" in pdf  # a row of the facts table
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


async def test_the_pdf_reads_as_words_with_welfare_calls_and_mark_changes(db, clock) -> None:
    """Dates as 27/11/2026, words instead of internal values, welfare calls and changes to
    marks included, and emoji (which the PDF's font cannot print) dropped."""
    world, first, _ = await school_with_ap(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await session.get(Placement, first.id)
        assert placement is not None
        await report_absence(
            session,
            Change(person_id=world.provider_staff.id, channel="test", at=clock.now()),
            placement=placement,
            date=dt.date(2026, 11, 27),
            sessions=[RegisterSession.am],
            code="N",
            reason="Did not arrive \U0001f615",
        )
        call = await session.scalar(
            select(WelfareCall).where(
                WelfareCall.placement_id == first.id,
                WelfareCall.absence_date == dt.date(2026, 11, 27),
            )
        )
        assert call is not None
        await log_attempt(
            session,
            Change(person_id=world.dsl.id, channel="test", at=clock.now()),
            call=call,
            findings=CallFindings(
                called_at=clock.now(),
                spoke_to=WelfareContact.parent_carer,
                seen_or_heard=True,
                safe=True,
                reason="Dentist appointment \U0001f9b7\u2705",
                code="M",
                next_step=WelfareNextStep.none,
            ),
        )
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    await chat.say(f"export {first.reference}")
    done = (await chat.say("yes"))[-1]
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    record = json.loads(files[".json"].read_text())
    placement_record = record["placements"][0]
    assert [c["to_code"] for c in placement_record["mark_changes"]] == ["M"]
    attempts = [a for c in placement_record["welfare_calls"] for a in c["attempts"]]
    assert [a["made_by"] for a in attempts] == [world.dsl.name]
    pdf = " ".join(
        " ".join(p.extract_text().split())
        for p in PdfReader(io.BytesIO(files[".pdf"].read_bytes())).pages
    )
    # Dates the UK way, never ISO.
    assert re.search(r"\d{4}-\d{2}-\d{2}", pdf) is None
    assert "from 07/09/2026" in pdf
    # Words instead of internal values.
    assert "setting safe: yes" in pdf and "rated good" in pdf
    assert "not done, due" in pdf
    assert "not_done" not in pdf and "_" not in pdf.replace("___", "")
    # The welfare call and the change of mark it made.
    assert "Absence on 27/11/2026: call by the provider; done 27/11/2026 10:00" in pdf
    assert "spoke to a parent or carer; pupil seen or heard: yes; pupil safe: yes" in pdf
    assert "Dentist appointment" in pdf
    assert "absent N to absent M (after a welfare call)" in pdf
    # Emoji dropped, not printed as empty boxes.
    assert "\U0001f9b7" not in pdf and "\u2705" not in pdf and "\U0001f615" not in pdf
    assert "Did not arrive" in pdf
