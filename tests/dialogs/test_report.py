"""The governors' report: content right, and nobody identifiable in any of its files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from pypdf import PdfReader

from storage.models import ContactMethod, ContactWith, QaRating, ReasonForAp
from storage.services.audit import Change
from storage.services.contacts import log_contact
from storage.services.visits import log_visit
from tests.support.chat import JsonChat
from tests.support.factories import place
from tests.support.world import school_with_ap


def _pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


async def test_governors_report_is_right_and_anonymous(db, clock) -> None:
    world, first, second = await school_with_ap(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    out = await chat.say("report governors this term")
    done = out[-1]
    assert done["type"] == "done" and done["dialog"] == "report"
    assert "Autumn term 2026" in done["text"] and "2 placement(s)" in done["text"]
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    assert set(files) == {".html", ".pdf", ".csv"}
    html = files[".html"].read_text()
    csv = files[".csv"].read_text()
    pages, pdf = _pdf_text(files[".pdf"])
    assert pages >= 2
    for text in (html, csv, pdf):
        assert "P1" in text and "P2" in text
        assert "Pathways AP Academy" in text and "Wheels Workshop" in text
        for secret in (
            "Jamie",
            "Testpupil",
            "Robin",
            "Mealsworth",
            "A123456789012",
            "2012",
            "14/03",
            "flu",
            "farm days",
            "Re-engagement",  # "other"'s few words stay in the school
        ):
            assert secret not in text, secret
        assert first.reference not in text and second.reference not in text
    # The unregistered provider is called out; the outstanding checks are listed.
    assert "unregistered provider" in html and "Letter of Assurance received" in html
    # DfE's limits with their accurate status: it will legislate; they are not law yet.
    assert "will legislate" in html and "not law yet" in html and "proposed" not in html
    rows = csv.splitlines()
    assert rows[0].startswith("pupil,reason_for_ap,provider,registration")
    by_provider = {row.split(",")[2]: row for row in rows[1:]}
    pathways = by_provider["Pathways AP Academy"]
    assert ",1,2," in pathways  # one QA visit done of two due this term
    assert "Part-time" in html or ",no," in by_provider["Wheels Workshop"]


async def test_only_safeguarding_leads_can_have_it(db, clock) -> None:
    world, _, _ = await school_with_ap(db, clock)
    for email in (world.teacher.email, world.provider_staff.email):
        out = await (await JsonChat.as_email(db, clock, email)).say("report governors")
        assert out[0]["type"] == "error" and "isn't available" in out[0]["text"]


async def test_a_term_with_no_placements_or_far_away_never_crashes(db, clock) -> None:
    """Issue 12 item 4: spring 2027 (still to come) used to raise a ValueError in the QA
    cadence rules; a term with no placements says so, not "checklist 100% complete"."""
    world, _, _ = await school_with_ap(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    coming = (await chat.say("report governors spring 2027"))[-1]
    assert coming["type"] == "done", coming
    assert "2 placement(s)" in coming["text"]
    assert "the term has not started, so no QA visit is due yet" in coming["text"]
    html = _read(coming["files"][0]["path"])
    assert "This term has not started yet" in html

    empty = (await chat.say("report governors summer 2026"))[-1]
    assert empty["type"] == "done", empty
    assert "No placements commissioned by the school ran in Summer term 2026" in empty["text"]
    assert "100%" not in empty["text"]
    html = _read(empty["files"][0]["path"])
    assert "No pupils were in Alternative Provision" in html and "checklist complete" not in html

    far = await chat.say("report governors autumn 1066")
    assert far[-1]["type"] == "error" and "from 2000 to 2028" in far[-1]["text"]


async def test_the_headline_counts_placements_short_of_visits_not_visits(db, clock) -> None:
    """Issue 12 item 4: three visits to one pupil must not hide another pupil's none."""
    world, first, _ = await school_with_ap(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await session.get(type(first), first.id)
        assert placement is not None
        change = Change(person_id=world.teacher.id, channel="test", at=clock.now())
        for day, next_due in (
            (dt.date(2026, 10, 20), dt.date(2026, 11, 20)),
            (dt.date(2026, 11, 20), dt.date(2026, 12, 18)),
        ):
            await log_visit(
                session,
                change,
                placement=placement,
                visit_date=day,
                pupil_seen=True,
                pupil_voice="Fine.",
                setting_safe=True,
                register_matches=True,
                concerns=None,
                rating=QaRating.good,
                actions_agreed=None,
                next_visit_due=next_due,
            )
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    done = (await chat.say("report governors this term"))[-1]
    # 3 visits made of 3 due in total, but the second pupil had 0 of 1.
    assert "1 of 2 placement(s) had fewer QA visits than due" in done["text"], done["text"]
    html = _read(done["files"][0]["path"])
    assert "1 of 2" in html and "placements with fewer QA visits than due" in html


def _read(path: str) -> str:
    return Path(path).read_text()


async def test_contacts_with_provider_parents_and_pupil_are_counted_apart(db, clock) -> None:
    """Issue 16 item 5: the term's contacts, by who they were with, in every file."""
    world, first, _ = await school_with_ap(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await session.get(type(first), first.id)
        assert placement is not None
        change = Change(person_id=world.teacher.id, channel="test", at=clock.now())
        for day, with_whom in (
            (dt.date(2026, 8, 28), ContactWith.provider),  # the summer term: not counted
            (dt.date(2026, 9, 14), ContactWith.provider),
            (dt.date(2026, 10, 12), ContactWith.provider),
            (dt.date(2026, 11, 2), ContactWith.provider),
            (dt.date(2026, 11, 9), ContactWith.parent_carer),
            (dt.date(2026, 11, 10), ContactWith.parent_carer),
            (dt.date(2026, 11, 20), ContactWith.pupil),
        ):
            await log_contact(session, change, placement=placement, contact_date=day,
                              with_whom=with_whom, method=ContactMethod.phone,
                              summary="Mum says Jamie sleeps badly.")  # fmt: skip
    chat = JsonChat(db, clock, world.dsl)
    done = (await chat.say("report governors this term"))[-1]
    assert "contacts with providers 3, parents or carers 2, pupils 1." in done["text"]
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    html = files[".html"].read_text()
    assert "3 · 2 · 1" in html and "contacts with providers · parents or carers · pupils" in html
    assert (
        "Contacts this term: 3 with the provider, 2 with parents or carers, 1 with the pupil"
        in html
    )
    assert "0 with the provider, 0 with parents or carers, 0 with the pupil" in html  # Robin
    _, pdf = _pdf_text(files[".pdf"])
    assert "3 with the provider, 2 with parents or carers, 1 with the pupil" in " ".join(
        pdf.split()
    )
    rows = list(csv.DictReader(io.StringIO(files[".csv"].read_text())))
    counts = {
        row["provider"]: (
            row["contacts_provider"],
            row["contacts_parents_carers"],
            row["contacts_pupil"],
        )
        for row in rows
    }
    assert counts == {"Pathways AP Academy": ("3", "2", "1"), "Wheels Workshop": ("0", "0", "0")}
    for text in (html, pdf, files[".csv"].read_text()):
        assert "sleeps badly" not in text and "Jamie" not in text


async def test_placements_are_grouped_by_why_the_pupil_is_in_ap(db, clock) -> None:
    world, _, _ = await school_with_ap(db, clock)  # two placements for "other" reasons
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.unregistered,
            start=dt.date(2026, 11, 2),
            provider_hours="10",
            school_hours="10",
            days=("thu", "fri"),
            reason=ReasonForAp.suspension,
            reason_first_day=dt.date(2026, 10, 26),
            suspension_days=10,
        )
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    done = (await chat.say("report governors this term"))[-1]
    assert "Why in AP: Suspension 1, Other 2." in done["text"]
    groups = done["record"]["by_reason"]
    assert list(groups) == ["Suspension", "Other"] and len(groups["Other"]) == 2
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    rows = list(csv.DictReader(io.StringIO(files[".csv"].read_text())))
    assert [row["reason_for_ap"] for row in rows] == ["Suspension", "Other", "Other"]
    assert rows[0]["pupil"] == groups["Suspension"][0]
    html = files[".html"].read_text()
    assert html.index("Suspension (1)") < html.index("Other (2)")
    # A category only: no date of the suspension.
    assert "26/10/2026" not in html and "October 2026</td>" not in html
    _, pdf = _pdf_text(files[".pdf"])
    assert "Suspension" in pdf and "Why pupils are in AP" in pdf
