"""Start placement: the pupil, the provider, the timetable, the attendance arrangements and the
whole safeguarding checklist, then a summary to confirm."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dialogs import checklist_steps, pupil_steps
from dialogs.common import DAY_CHOICES, date_between, days_text, id_of
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, parse_hours, uk_date
from dialogs.prompts import Choice, Done, Message, PromptKind, Reply
from dialogs.pupil_steps import NEW_PUPIL
from storage.access import START_PLACEMENT_ROLES, pupils_query
from storage.models import (
    ChecklistStatus,
    Organisation,
    OrgKind,
    Person,
    Pupil,
    RegistrationStatus,
    Role,
    WelfareCallParty,
)
from storage.rules import checklist, codes, fulltime
from storage.services.placements import (
    PlacementError,
    PlacementPlan,
    create_placement,
    ensure_loaded,
)

REGISTERED_SCHOOLS = {
    RegistrationStatus.pru,
    RegistrationStatus.ap_academy,
    RegistrationStatus.ap_free_school,
}


class StartPlacementDialog(Dialog):
    name = "start"
    title = "start placement"
    words = ("start", "start placement", "new placement", "place")
    roles = START_PLACEMENT_ROLES
    summary = (
        "start a placement: pupil, provider, timetable, attendance and the safeguarding checklist"
    )

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if ctx.person.organisation_id is None:
            raise AnswerError(
                "You're not linked to a school or local authority yet; ask your admin."
            )
        return Answers()

    async def _pupil(self, ctx: DialogContext, answers: Answers) -> Pupil | None:
        value = answers.text("pupil")
        if value in (None, NEW_PUPIL):
            return None
        pupil = await ctx.session.get(Pupil, id_of(value))
        return pupil if pupil and pupil.home_org_id == ctx.person.organisation_id else None

    async def _providers(self, ctx: DialogContext) -> list[Organisation]:
        rows = await ctx.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.provider)
            .options(selectinload(Organisation.sites))
            .order_by(Organisation.name)
        )
        return list(rows.unique())

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        commissioner = ctx.person.organisation
        assert commissioner is not None
        pupils = sorted(
            (await ctx.session.scalars(pupils_query(ctx.person))).unique(),
            key=lambda p: (p.last_name.lower(), p.first_name.lower()),
        )
        yield Step(
            "pupil",
            PromptKind.choice,
            "Which pupil is being placed?",
            choices=[
                *(
                    Choice(value=f"pupil-{p.id}", label=f"{p.full_name} (Year {p.year_group})")
                    for p in pupils
                ),
                Choice(value=NEW_PUPIL, label="Add a new pupil"),
            ],
        )
        pupil = await self._pupil(ctx, answers)
        if answers.get("pupil") == NEW_PUPIL:
            async for step in pupil_steps.steps():
                yield step
        elif pupil is None:
            raise AnswerError("That pupil is no longer available; please pick again.")

        providers = await self._providers(ctx)
        yield Step(
            "provider",
            PromptKind.choice,
            "Which AP provider?",
            choices=[
                Choice(
                    value=f"provider-{p.id}",
                    label=f"{p.name} ({'⚠ UNREGISTERED' if p.is_unregistered else p.registration_status.label if p.registration_status else 'status unknown'})",
                )
                for p in providers
            ],
        )
        provider = next(
            (p for p in providers if f"provider-{p.id}" == answers.get("provider")), None
        )
        assert provider is not None
        warnings: list[Message] = []
        if provider.is_unregistered:
            warnings.append(
                Message(
                    level="warning",
                    text=(
                        f"⚠ {provider.name} is NOT registered with DfE. You remain responsible for this "
                        "pupil's safety: be satisfied it is safe and suitable, get the Letter of Assurance "
                        "before the pupil starts, and keep the placement short and part-time (DfE has proposed "
                        "limits of 12 weeks full-time, or 2 days a week part-time)."
                    ),
                )
            )
        if len(provider.sites) > 1:
            yield Step(
                "site",
                PromptKind.choice,
                "Which site will the pupil attend?",
                choices=[
                    Choice(value=f"site-{s.id}", label=f"{s.name}, {s.address}")
                    for s in provider.sites
                ],
                notes=warnings,
            )
            warnings = []
        yield Step(
            "start_date",
            PromptKind.date,
            "Start date? (e.g. 30/11/2026, or today)",
            notes=warnings,
            validate=date_between(
                ctx.today - dt.timedelta(days=366),
                ctx.today + dt.timedelta(days=366),
                too_early="Please give a date within a year of today.",
                too_late="Please give a date within a year of today.",
            ),
        )
        start = answers.date("start_date")
        assert start is not None
        yield Step(
            "planned_end_date",
            PromptKind.date,
            "Planned end date (the agreed length of the placement)?",
            validate=lambda d: (
                None if d > start else "The planned end must be after the start date."
            ),
        )
        yield Step(
            "provider_days",
            PromptKind.multichoice,
            "Which days will the pupil be at the provider? (e.g. mon, tue, wed)",
            choices=DAY_CHOICES,
        )
        yield Step(
            "provider_hours", PromptKind.text, "Hours a week at the provider?", parse=parse_hours
        )
        yield Step(
            "school_hours",
            PromptKind.text,
            "Hours a week at your school (0 if none)?",
            parse=parse_hours,
            default="0",
        )
        yield Step(
            "other_hours",
            PromptKind.text,
            "Hours a week at any other provider (0 if none)?",
            parse=parse_hours,
            default="0",
        )
        if Decimal(answers.get("other_hours") or 0) > 0:
            yield Step("other_providers", PromptKind.text, "Which other provider(s)?")

        check = fulltime.check_full_time(
            provider_hours=Decimal(answers.get("provider_hours")),
            school_hours=Decimal(answers.get("school_hours")),
            other_hours=Decimal(answers.get("other_hours")),
            full_time_hours=commissioner.full_time_hours,
        )
        notes = [Message(text=check.summary, level="info" if check.is_full_time else "warning")]
        notes += [
            Message(level="warning", text="⚠ " + text)
            for text in fulltime.unregistered_warnings(
                unregistered=provider.is_unregistered,
                is_full_time=check.is_full_time,
                days_per_week=len(answers.many("provider_days")),
                start_date=start,
                planned_end_date=answers.date("planned_end_date"),
            )[1:]  # the general warning was shown with the provider
        ]
        if not check.is_full_time:
            yield Step(
                "review_date",
                PromptKind.date,
                "When will the part-time timetable be reviewed?",
                notes=notes,
                validate=lambda d: (
                    None if d > start else "The review must be after the start date."
                ),
            )
            notes = []

        suggested = codes.suggested_placement_code(
            commissioner_is_la=commissioner.kind == OrgKind.local_authority,
            provider_is_registered_school_or_pru_or_academy=provider.registration_status
            in REGISTERED_SCHOOLS,
        )
        yield Step(
            "attendance_code",
            PromptKind.choice,
            f"Which attendance code will your register use for sessions at the provider? (blank for {suggested})",
            choices=[
                Choice(value=c.code, label=f"{c.code}: {c.meaning}")
                for c in codes.placement_codes()
            ],
            default=suggested,
            notes=notes,
        )
        yield Step(
            "absence_deadline",
            PromptKind.time,
            "By what time will the provider tell you the pupil hasn't arrived? (24h, blank for 09:30)",
            default="09:30",
        )
        yield Step(
            "welfare_call_party",
            PromptKind.choice,
            "Who makes the welfare call home when the pupil doesn't arrive?",
            choices=[
                Choice(value="school", label=f"{commissioner.name} (us)"),
                Choice(value="provider", label=provider.name),
            ],
        )
        if answers.get("welfare_call_party") == "school":
            staff = await ctx.session.scalars(
                select(Person)
                .where(
                    Person.organisation_id == commissioner.id,
                    Person.active,
                    Person.role.in_([Role.teacher, Role.dsl, Role.la_officer]),
                )
                .order_by(Person.name)
            )
            yield Step(
                "welfare_call_person",
                PromptKind.choice,
                "Who at your end makes the calls?",
                choices=[Choice(value=f"person-{p.id}", label=p.name) for p in staff.unique()],
            )
        yield Step(
            "welfare_call_arrangements",
            PromptKind.text,
            "Describe the welfare-call arrangement: when, where, who and why (e.g. 'Provider rings "
            "home by 10:00; if no answer, our DSL visits').",
        )
        yield Step("objectives", PromptKind.text, "What are the placement's objectives?")
        yield Step(
            "return_plan",
            PromptKind.text,
            "What is the plan for the pupil's return or transition (to your school or another mainstream setting)?",
        )
        flags = pupil_steps.flags_of(pupil, answers)
        async for step in checklist_steps.steps(
            answers,
            fsm_eligible="fsm_eligible" in flags,
            commissioner_is_school=commissioner.kind == OrgKind.school,
            other_providers_involved=Decimal(answers.get("other_hours") or 0) > 0,
            start=start,
        ):
            yield step
        # As the placement service will decide which items apply (other providers named
        # count even with no hours given).
        facts = checklist.PlacementFacts(
            fsm_eligible="fsm_eligible" in flags,
            commissioner_is_school=commissioner.kind == OrgKind.school,
            other_providers_involved=Decimal(answers.get("other_hours") or 0) > 0
            or bool(answers.text("other_providers")),
        )
        yield Step(
            "confirm",
            PromptKind.confirm,
            await self._summary(
                ctx,
                answers,
                provider,
                pupil,
                check,
                checklist_steps.summary(answers, facts, is_full_time=check.is_full_time),
            ),
        )

    async def _summary(
        self,
        ctx: DialogContext,
        answers: Answers,
        provider: Organisation,
        pupil: Pupil | None,
        check: fulltime.FullTimeCheck,
        checklist_line: str,
    ) -> str:
        name = (
            pupil.full_name
            if pupil
            else f"{answers.get('first_name')} {answers.get('last_name')} (new)"
        )
        lines = [
            "Please check, then answer yes to save:",
            f"Pupil: {name}",
            f"Provider: {provider.name}" + (" (UNREGISTERED)" if provider.is_unregistered else ""),
            f"Dates: {uk_date(answers.date('start_date'))} to {uk_date(answers.date('planned_end_date'))}",
            f"At the provider: {days_text(answers.many('provider_days'))}, {answers.get('provider_hours')} h a week",
            check.summary,
        ]
        if answers.get("review_date"):
            lines.append(f"Part-time timetable review: {uk_date(answers.date('review_date'))}")
        lines += [
            f"Attendance code: {answers.get('attendance_code')}; absences reported by {answers.get('absence_deadline')}",
            f"Welfare calls: {answers.get('welfare_call_party')}: {answers.get('welfare_call_arrangements')}",
            checklist_line,
        ]
        return "\n".join(lines)

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        change = ctx.change
        commissioner_id = ctx.person.organisation_id
        assert commissioner_id is not None
        if answers.get("pupil") == NEW_PUPIL:
            pupil = await pupil_steps.add_new_pupil(ctx, answers, home_org_id=commissioner_id)
        else:
            found = await self._pupil(ctx, answers)
            if found is None:
                raise AnswerError("That pupil is no longer available; please pick again.")
            pupil = found
        party = WelfareCallParty(answers.get("welfare_call_party"))
        site_id = id_of(answers.text("site"))
        if site_id is None:  # a provider with one site: that site
            provider = await ctx.session.get(
                Organisation,
                id_of(answers.text("provider")),
                options=[selectinload(Organisation.sites)],
            )
            if provider is not None and len(provider.sites) == 1:
                site_id = provider.sites[0].id
        try:
            plan = PlacementPlan(
                pupil_id=pupil.id,
                commissioner_id=commissioner_id,
                provider_id=id_of(answers.text("provider")),
                site_id=site_id,
                start_date=answers.date("start_date"),
                planned_end_date=answers.date("planned_end_date"),
                review_date=answers.date("review_date"),
                provider_days=answers.many("provider_days"),
                provider_hours=Decimal(answers.get("provider_hours")),
                school_hours=Decimal(answers.get("school_hours")),
                other_hours=Decimal(answers.get("other_hours")),
                other_providers=answers.text("other_providers"),
                attendance_code=answers.get("attendance_code"),
                absence_deadline=answers.time("absence_deadline"),
                welfare_call_party=party,
                welfare_call_person_id=id_of(answers.text("welfare_call_person")),
                welfare_call_arrangements=answers.text("welfare_call_arrangements"),
                objectives=answers.text("objectives"),
                return_plan=answers.text("return_plan"),
                checklist=checklist_steps.answers_to_plan(answers),
            )
            placement = await create_placement(ctx.session, change, plan)
        except PlacementError as error:
            raise AnswerError(str(error)) from error
        await ensure_loaded(ctx.session, placement, "checklist")
        due = [item for item in placement.checklist if item.status == ChecklistStatus.not_done]
        counts = checklist.checklist_counts(item.status for item in placement.checklist)
        text = (
            f"Saved. Placement reference {placement.reference}. "
            f"{counts.to_do} check(s) are still to do and I'll remind you when they fall due. "
            f"The provider has been told the reference, and your DSL has been told."
        )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "status": placement.status.value,
                    "pupil_id": pupil.id,
                    "provider": placement.provider.name,
                    "start_date": placement.start_date.isoformat(),
                    "is_full_time": placement.is_full_time,
                    "total_hours": str(placement.total_hours),
                    "due_checks": [item.key for item in due],
                },
            )
        ]
