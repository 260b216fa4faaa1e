"""`where AP-XXXX`: where is this child now? Today's place and address by the timetable and
the clock, whether today is a school day, any absence reported today, whom to ring, and the
week's pattern. For the commissioner's staff only (`Action.see_where`), in a direct message."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs.common import DAY_NAMES, pupil_label
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Done, Reply
from dialogs.site_steps import place_text, week_text
from storage.access import Action, can
from storage.models import DayPlace, Placement, Site
from storage.rules.calendar import SchoolCalendar
from storage.rules.whereabouts import DayWhere, Expected, expected_on, weekday_key
from storage.services import whereabouts
from storage.services.placements import find_by_reference
from storage.services.terms import calendar_for


def _address(where: DayWhere, placement: Placement, sites: dict[int, Site]) -> str | None:
    """The address of a day's place (None when nothing is recorded)."""
    if where.place == DayPlace.school:
        return placement.commissioner.address
    if where.place == DayPlace.provider:
        site = sites.get(where.site_id) if where.site_id is not None else None
        if site is not None:
            return site.address + (f", {site.postcode}" if site.postcode else "")
        return placement.provider.address
    return None


class WhereDialog(Dialog):
    name = "where"
    title = "where is the pupil"
    words = ("where", "where is")
    needs = Action.see_where
    summary = (
        "`where AP-XXXX`: where the pupil is now by the timetable (site and address), any "
        "absence reported today, whom to ring, and the week's pattern"
    )

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if not args.strip():
            raise AnswerError("Say which placement: where AP-7K3Q.")
        return Answers({"reference": args.split()[0].upper()})

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        reference = answers.text("reference") or ""
        placement = await find_by_reference(ctx.session, reference)
        if placement is None or not can(ctx.person, self.needs, placement, place=ctx.place):
            raise AnswerError(
                f"I can't find a placement {reference!r} whose whereabouts you can see. Where "
                "a pupil is is for the commissioning school's staff (an LA's officers for the "
                "LA's own placements)."
            )
        now = ctx.now
        today = now.date()
        week, recorded = await whereabouts.week_of(ctx.session, placement)
        sites = await whereabouts.sites_by_id(ctx.session, placement.provider_id)
        calendar = await calendar_for(ctx.session, placement.commissioner_id, today=today)
        expectation = expected_on(
            today,
            week=week,
            start=placement.start_date,
            last_day=(
                (placement.ended_on or today - dt.timedelta(days=1))
                if placement.status.is_closed
                else None
            ),
            school_day=calendar.is_school_day(today),
        )
        name = f"{placement.reference} ({pupil_label(ctx, placement)})"
        lines = [
            f"Where is {name}? Now: {DAY_NAMES.get(weekday_key(today) or '', today.strftime('%A'))} {today:%d/%m/%Y} {now:%H:%M}."
        ]
        match expectation.expected:
            case Expected.not_started:
                lines.append(
                    f"The placement starts on {placement.start_date:%d/%m/%Y}: until then the "
                    "pupil is not at the provider."
                )
            case Expected.ended:
                lines.append(
                    f"The placement {placement.status.closed_phrase.removeprefix('has ')}: the "
                    "pupil is no longer expected at the provider."
                )
            case Expected.closed:
                why = calendar.reason_closed(today) or "the weekend"
                lines.append(
                    f"Today is not a school day ({why}): the pupil is not expected anywhere."
                )
                lines.append(self._next_day(placement, week, sites, calendar, today))
            case Expected.not_recorded:
                lines.append(
                    "Today's place was not recorded for this placement: ask the provider or "
                    "your colleague who started it."
                )
            case Expected.at:
                assert expectation.where is not None
                where = expectation.where
                place = place_text(where, sites, placement.provider.name)
                address = _address(where, placement, sites)
                lines.append(
                    f"Today is a school day. By the timetable the pupil is at: {place}"
                    + (f", {address}" if address else "")
                    + "."
                    if where.place != DayPlace.none
                    else "Today is a school day, but no education is arranged for the pupil today."
                )
        if expectation.expected in (Expected.at, Expected.not_recorded):
            absences = await whereabouts.absences_on(ctx.session, placement, today)
            if absences:
                marks = ", ".join(f"{a.session.value} (code {a.code})" for a in absences)
                lines.append(f"⚠ Absence reported today: {marks}. The pupil may not be there.")
            else:
                lines.append("No absence has been reported today.")
        lines += await self._contacts(ctx, placement, week, sites)
        lines.append(
            "The week: "
            + week_text(week, sites, placement.provider.name)
            + ("" if recorded else " (from the provider days; the days were not recorded)")
            + "."
        )
        return [
            Done(
                dialog=self.name,
                text="\n".join(lines),
                record={
                    "reference": placement.reference,
                    "expected": expectation.expected.value,
                    "place": expectation.where.place.value if expectation.where else None,
                    "site_id": expectation.where.site_id if expectation.where else None,
                    "week": {day: w.place.value for day, w in week.items()},
                },
            )
        ]

    def _next_day(
        self,
        placement: Placement,
        week: dict[str, DayWhere],
        sites: dict[int, Site],
        calendar: SchoolCalendar,
        today: dt.date,
    ) -> str:
        """Where the pupil is on the next school day, if the placement still runs then."""
        day = calendar.next_school_day(today)
        key = weekday_key(day) or "mon"
        where = week.get(key)
        when = f"Next school day, {DAY_NAMES[key]} {day:%d/%m/%Y}"
        if placement.planned_end_date is not None and day > placement.planned_end_date:
            return f"{when}: after the planned end of the placement."
        if where is None:
            return f"{when}: not recorded."
        address = _address(where, placement, sites)
        place = place_text(where, sites, placement.provider.name)
        return f"{when}: {place}" + (f", {address}" if address else "") + "."

    async def _contacts(
        self,
        ctx: DialogContext,
        placement: Placement,
        week: dict[str, DayWhere],
        sites: dict[int, Site],
    ) -> list[str]:
        """Whom to ring: the phone of each site in the week, and the provider's staff."""
        phones = [
            f"{site.name} {site.phone}"
            for site_id in dict.fromkeys(w.site_id for w in week.values() if w.site_id)
            if (site := sites.get(site_id)) is not None and site.phone
        ]
        staff = await whereabouts.provider_contacts(ctx.session, placement.provider_id)
        people = [f"{person.name} ({person.email})" for person in staff]
        contact = "; ".join(phones + people)
        if not contact:
            return [f"Contact at {placement.provider.name}: none recorded (ask your admin)."]
        return [f"Contact at {placement.provider.name}: {contact}."]
