"""One-shot reports: `marks` (a week of register marks for the school's MIS), `aplist` (the
inspection-ready AP list) and `codes` (the attendance and absence codes explained)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, DateSense, parse_date
from dialogs.prompts import Done, Reply
from storage.access import Task
from storage.models import Organisation
from storage.rules import codes
from storage.services.aplist import ap_list, ap_list_text, can_run_aplist
from storage.services.marks import (
    SessionMark,
    attendance_rate,
    can_see_marks,
    school_marks,
    week_of,
)
from storage.services.terms import calendar_for


class _OneShot(Dialog):
    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command: nothing to ask


async def _own_organisation(ctx: DialogContext) -> Organisation:
    organisation = (
        await ctx.session.get(Organisation, ctx.person.organisation_id)
        if ctx.person.organisation_id
        else None
    )
    if organisation is None:
        raise AnswerError("You aren't set up with a school, so there's nothing to show.")
    return organisation


def _week(args: str, today: dt.date) -> tuple[dt.date, dt.date]:
    word = args.strip().lower()
    if word in ("", "this", "this week"):
        return week_of(today)
    if word in ("last", "last week"):
        return week_of(today - dt.timedelta(weeks=1))
    return week_of(parse_date(word, today=today, sense=DateSense.happened))


def _week_summary(rows: list[SessionMark], monday: dt.date) -> list[str]:
    """One block per pupil: the marks day by day, then the counts."""
    lines: list[str] = []
    by_placement: dict[str, list[SessionMark]] = {}
    for row in rows:
        by_placement.setdefault(row.placement.reference, []).append(row)
    for reference, marks in by_placement.items():
        p = marks[0].placement
        lines.append(
            f"{reference} {p.pupil.known_as} ({p.provider.name}, code {p.attendance_code})"
        )
        days = []
        for offset in range(5):
            day = monday + dt.timedelta(days=offset)
            cells = [r for r in marks if r.date == day]
            if cells:
                shown = " ".join(r.mark or "·" for r in cells)
                days.append(f"{day:%a} {shown}")
        lines.append("  " + " | ".join(days))
        rate = attendance_rate(marks)
        lines.append(
            f"  attendance {rate.percent_text} · attended {rate.attended} · absent {rate.absent}"
            f" · no report {rate.no_report}"
            + (" (chase the provider: not attended until they confirm)" if rate.no_report else "")
        )
    return lines


class MarksDialog(_OneShot):
    name = "marks"
    title = "register marks"
    words = ("marks", "register marks")
    needs = Task.see_marks
    summary = "the week's register marks for your pupils in AP (`marks last`, `marks 23/11/2026`)"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        monday, friday = _week(args, ctx.today)  # a bad date is refused here, before anything
        return Answers({"from": monday.isoformat(), "to": friday.isoformat()})

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        school = await _own_organisation(ctx)
        if not can_see_marks(ctx.person, school.id):
            raise AnswerError("Register marks are for the commissioning school's staff.")
        monday = answers.date("from")
        friday = answers.date("to")
        assert monday is not None and friday is not None
        calendar = await calendar_for(ctx.session, school.id, today=ctx.today)
        rows = await school_marks(
            ctx.session, school, start=monday, end=friday, today=ctx.today, calendar=calendar
        )
        head = f"Register marks for {school.name}, week of {monday:%a %d/%m/%Y}:"
        if not rows:
            text = f"{head}\nNo pupils in AP that week."
        else:
            text = "\n".join(
                [
                    head,
                    *_week_summary(rows, monday),
                    "Marks: B/K attended (confirmed by the provider); D: at a school where the "
                    "pupil is also registered (not counted); other letters are absence codes; "
                    "- no report from the provider (never enter it as attended); C2: a day the "
                    "part-time timetable agreed with a parent leaves out; "
                    "· not at the provider or school closed.",
                    f'For your MIS: apbot marks --school "{school.name}" --from '
                    f"{monday:%d/%m/%Y} --to {friday:%d/%m/%Y} --out marks.csv",
                ]
            )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "school": school.name,
                    "from": monday.isoformat(),
                    "to": friday.isoformat(),
                    "marks": [
                        {
                            "reference": r.placement.reference,
                            "date": r.date.isoformat(),
                            "session": r.session.value,
                            "mark": r.mark,
                            "kind": r.kind.value,
                            "counting": r.counting,
                        }
                        for r in rows
                    ],
                },
            )
        ]


class ApListDialog(_OneShot):
    name = "aplist"
    title = "AP list"
    words = ("aplist", "ap list", "inspection list")
    needs = Task.ap_list
    summary = "the inspection-ready list of every AP your school (or, for an LA officer, the LA) commissions"

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        organisation = await _own_organisation(ctx)
        if not can_run_aplist(ctx.person, organisation.id):
            raise AnswerError("The AP list is for the school's designated safeguarding leads.")
        providers = await ap_list(ctx.session, organisation.id, today=ctx.today)
        text = ap_list_text(providers, organisation.name)
        text += (
            f'\nAs CSV: apbot aplist --school "{organisation.name}" --out aplist.csv'
            if providers
            else ""
        )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "school": organisation.name,
                    "providers": [
                        {
                            "name": e.provider.name,
                            "registration": e.registration,
                            "urn": e.provider.urn,
                            "ukprn": e.provider.ukprn,
                            "sites": e.sites,
                            "pupils": [
                                {
                                    "reference": p.placement.reference,
                                    "start_date": p.placement.start_date.isoformat(),
                                    "weekly_hours": str(p.weekly_hours),
                                    "reason_for_ap": p.reason,
                                    "last_qa_visit": p.last_qa_visit.isoformat()
                                    if p.last_qa_visit
                                    else None,
                                    "letter_of_assurance": p.letter_of_assurance,
                                    "attendance": p.attendance.percent_text
                                    if p.attendance
                                    else None,
                                }
                                for p in e.pupils
                            ],
                        }
                        for e in providers
                    ],
                },
            )
        ]


WHICH_CODE = (
    "Which code for a pupil in AP, on the days they attend it:\n"
    "• B: the school arranged the placement (approved educational activity); the school "
    "is satisfied of its supervision and safeguarding.\n"
    "• D: the pupil is dual registered at the provider (a PRU, AP academy or another school); "
    "that school keeps the register for its sessions, so they are not counted in your figures. "
    "Never for an unregistered provider.\n"
    "• K: the local authority arranged the provision.\n"
    "When the pupil doesn't attend: the absence code (N until the reason is known, then the "
    "final code, e.g. I for illness). Late: L before the register closed (counts as attending), "
    "U after. A part-time timetable's sessions with no education planned: C2.\n"
    "Who sets a code: a provider reports N, L or U and may propose any other code; the others "
    "(leave, authorised absence, exceptional circumstances, G, O) are the school's to set."
)
COUNTING_WORDS = {
    "attended": "attended",
    "authorised_absence": "authorised absence",
    "unauthorised_absence": "unauthorised absence",
    "not_possible": "not a possible session",
    "not_counted": "not counted",
}


class CodesDialog(_OneShot):
    name = "codes"
    title = "attendance codes"
    words = ("codes", "attendance codes", "absence codes")
    needs = Task.ask
    summary = "the attendance and absence codes, and which to use for an AP placement"
    shared_ok = True

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        lines = [WHICH_CODE, ""]
        group = None
        for code in codes.all_codes().values():
            if code.group != group:
                group = code.group
                lines.append(f"{group}:")
            who = "school sets it" if code.school_decides else "provider or school"
            lines.append(f"  {code.code}  {code.meaning} [{COUNTING_WORDS[code.counting]}; {who}]")
        return [
            Done(
                dialog=self.name,
                text="\n".join(lines),
                record={
                    "placement_codes": {
                        "school_arranged": codes.SCHOOL_ARRANGED_CODE,
                        "la_arranged": codes.LA_ARRANGED_CODE,
                        "dual_registered": codes.DUAL_REGISTERED_CODE,
                        "part_time_timetable": codes.PART_TIME_CODE,
                    },
                    "codes": [
                        {
                            "code": c.code,
                            "meaning": c.meaning,
                            "group": c.group,
                            "counting": c.counting,
                            "set_by": c.set_by,
                        }
                        for c in codes.all_codes().values()
                    ],
                },
            )
        ]
