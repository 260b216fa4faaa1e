"""The AP list for the demo school (chat and CSV), the week's register marks in chat, and who may
see them: never a provider, never another school."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import get_settings
from storage.demo import seed_demo
from tests.support.chat import JsonChat
from tests.support.database import TEST_KEY, Database

OAKFIELD_DSL = "dsl@oakfield.example"


async def _demo(db: Database, clock) -> None:
    async with db.sessions() as session, session.begin():
        await seed_demo(session, clock=clock)


async def test_the_ap_list_is_right_for_the_demo_school(db, clock) -> None:
    await _demo(db, clock)
    chat = await JsonChat.as_email(db, clock, OAKFIELD_DSL)
    done = (await chat.say("aplist"))[-1]
    assert done["type"] == "done" and done["dialog"] == "aplist"
    text = done["text"]
    assert text.startswith("AP used by Oakfield Academy: 2 provider(s), 2 pupil(s).")
    assert "Horizon Learning Centre: AP academy; URN 999101" in text
    assert "Site: Main site: Unit 3, Canal Street, Northbrook, NB4 2EX" in text
    assert "Site: Hollins Farm site: Hollins Farm, Moor Road, Northbrook, NB7 9FR" in text
    assert (
        "Second Chance Motor Project ⚠ UNREGISTERED: Unregistered provider; UKPRN 19999103" in text
    )
    assert "Tyler Ashdown (Y10): from 12/10/2026, 26 h a week" in text
    tyler, maisie = (p["pupils"][0]["reference"] for p in done["record"]["providers"])
    assert (
        f"Why in AP: Direction off-site to improve behaviour {tyler}; "
        f"Provision named in an EHC plan {maisie}"
    ) in text
    assert "Letter of Assurance 27/11/2026" in text
    assert "Maisie Holt (Y9): from 02/11/2026, 10 h a week (part-time timetable)" in text
    assert "Letter of Assurance NOT RECEIVED (due 02/11/2026)" in text
    # An ended placement is not current use; other schools' and the LA's pupils never appear.
    for name in ("Callum", "Aaliyah", "Kai", "Bridgeway"):
        assert name not in text
    providers = done["record"]["providers"]
    assert [p["name"] for p in providers] == [
        "Horizon Learning Centre",
        "Second Chance Motor Project",
    ]
    assert [len(p["pupils"]) for p in providers] == [1, 1]
    assert [p["pupils"][0]["last_qa_visit"] for p in providers] == ["2026-10-30", "2026-11-13"]


async def test_the_ap_list_as_csv(
    db, clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _demo(db, clock)
    out = tmp_path / "aplist.csv"
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    get_settings.cache_clear()
    try:
        code = await asyncio.to_thread(
            main, ["aplist", "--school", "Oakfield Academy", "--out", str(out)]
        )
    finally:
        get_settings.cache_clear()
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["provider"], r["pupil"]) for r in rows] == [
        ("Horizon Learning Centre", "Tyler Ashdown"),
        ("Second Chance Motor Project", "Maisie Holt"),
    ]
    horizon, second = rows
    assert horizon["registration_status"] == "AP academy" and horizon["provider_urn"] == "999101"
    assert horizon["sites"].count("|") == 1 and horizon["pupils_at_provider"] == "1"
    assert horizon["start_date"] == "12/10/2026" and horizon["weekly_hours_at_provider"] == "26"
    assert horizon["days_at_provider"] == "mon tue wed thu"
    assert horizon["full_time_in_total"] == "yes" and horizon["attendance_code"] == "B"
    assert horizon["reason_for_ap"] == "Direction off-site to improve behaviour"
    assert second["reason_for_ap"] == "Provision named in an EHC plan"
    assert horizon["letter_of_assurance"] == "27/11/2026"
    assert horizon["last_qa_visit"] == "30/10/2026" and second["last_qa_visit"] == "13/11/2026"
    assert second["registration_status"] == "Unregistered provider"
    assert second["provider_ukprn"] == "19999103" and second["provider_urn"] == ""
    assert second["full_time_in_total"] == "no (part-time timetable)"
    assert second["letter_of_assurance"] == "NOT RECEIVED (due 02/11/2026)"


async def test_a_provider_cannot_run_aplist_or_see_any_marks(db, clock) -> None:
    await _demo(db, clock)
    provider = await JsonChat.as_email(db, clock, "office@horizon.example")
    for command in ("aplist", "marks", "marks last"):
        out = await provider.say(command)
        assert out[-1]["type"] == "error" and "isn't available to AP providers" in out[-1]["text"]
    teacher = await JsonChat.as_email(db, clock, "teacher@oakfield.example")
    out = await teacher.say("aplist")
    assert out[-1]["type"] == "error" and "isn't available to teachers" in out[-1]["text"]


async def test_the_weeks_marks_in_chat_are_only_the_schools_own(db, clock) -> None:
    await _demo(db, clock)
    oakfield = await JsonChat.as_email(db, clock, OAKFIELD_DSL)
    done = (await oakfield.say("marks"))[-1]
    assert done["type"] == "done"
    assert done["text"].startswith("Register marks for Oakfield Academy, week of Mon 23/11/2026:")
    people = {m["reference"] for m in done["record"]["marks"]}
    assert len(people) == 2  # Tyler and Maisie; not Callum (ended), not Riverside's pupil
    # The demo's week: Tyler confirmed Mon-Thu (at school on Fridays); Maisie at the project on
    # Tuesday and Thursday, absent on Thursday with the reason not yet known.
    marks: dict[str, list[str]] = {}
    for m in done["record"]["marks"]:
        marks.setdefault(m["reference"], []).append(m["mark"])
    assert sorted(marks.values()) == [
        ["", "", "B", "B", "", "", "N", "N", "C2", "C2"],
        ["B", "B", "B", "B", "B", "B", "B", "B", "", ""],
    ]
    assert "Tyler Ashdown" in done["text"] and "Aaliyah" not in done["text"]
    riverside = await JsonChat.as_email(db, clock, "teacher@riverside.example")
    done = (await riverside.say("marks"))[-1]
    assert "Aaliyah Moss" in done["text"]
    assert not ({m["reference"] for m in done["record"]["marks"]} & people)
    # A date it can't read is refused with a message.
    out = await oakfield.say("marks 31/02/2026")
    assert out[-1]["type"] == "error" and "not a real date" in out[-1]["text"]


async def test_codes_explains_which_to_use(db, clock) -> None:
    await _demo(db, clock)
    for email in ("office@horizon.example", "teacher@oakfield.example"):
        chat = await JsonChat.as_email(db, clock, email)
        done = (await chat.say("codes"))[-1]
        assert done["type"] == "done"
        assert "• B: the school arranged the placement" in done["text"]
        assert "• K: the local authority arranged the provision." in done["text"]
        assert "• D: the pupil is dual registered" in done["text"]
        assert (
            "  N  Reason for absence not yet established [unauthorised absence; provider or "
            "school]" in done["text"]
        )
        assert (
            "  C  Leave of absence for exceptional circumstances [authorised absence; school "
            "sets it]" in done["text"]
        )
        assert "  #  Planned whole school closure [not counted; school sets it]" in done["text"]
        assert (
            "  D  Dual registered" in done["text"]
            and "[not counted; school sets it]" in done["text"]
        )
        assert done["record"]["placement_codes"] == {
            "school_arranged": "B",
            "la_arranged": "K",
            "dual_registered": "D",
            "part_time_timetable": "C2",
        }
