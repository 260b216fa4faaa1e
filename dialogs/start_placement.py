"""Start placement: the pupil, the provider, the timetable, the attendance arrangements and the
whole safeguarding checklist, then a summary to confirm."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dialogs import (
    attendance_steps,
    checklist_steps,
    objective_steps,
    part_time_steps,
    pupil_steps,
    reason_steps,
    site_steps,
    timetable_steps,
)
from dialogs.common import days_text, id_of
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, uk_date
from dialogs.prompts import Choice, Done, Message, PromptKind, Reply
from dialogs.pupil_steps import NEW_PUPIL
from storage.access import Task, pupils_query
from storage.models import (
    ChecklistStatus,
    Organisation,
    OrgKind,
    Placement,
    PlacementStatus,
    Pupil,
    WelfareCallParty,
)
from storage.rules import checklist, fulltime, start_checks
from storage.services.outbox import safeguarding_leads
from storage.services.placement_changes import objectives_text
from storage.services.placements import (
    PlacementError,
    PlacementPlan,
    create_placement,
    ensure_loaded,
)


def _checks_text(due: int) -> str:
    """How many checks are left, in words that read right for 0, 1 and more."""
    if due == 0:
        return "Every check is done or not applicable."
    if due == 1:
        return "1 check is still to do; I'll remind you when it falls due."
    return f"{due} checks are still to do; I'll remind you when they fall due."


def _already_placed(active: list[Placement]) -> Message:
    """The loud note that the pupil is already on an active placement elsewhere."""
    listed = "; ".join(
        f"{p.reference} at {p.provider.name}, {days_text(p.days)}, "
        f"{fulltime.format_hours(p.provider_hours)} h a week"
        for p in active
    )
    return Message(
        level="warning",
        text=f"This pupil already has an active placement: {listed}. While it runs, its hours "
        "count towards the full-time total, and each provider is told the other is involved "
        "(reference and provider name only). If this new placement replaces it, end that one "
        "too.",
    )


class StartPlacementDialog(Dialog):
    name = "start"
    title = "start placement"
    words = ("start", "start placement", "new placement", "place")
    needs = Task.start_placement
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

    async def _active_placements(self, ctx: DialogContext, pupil: Pupil | None) -> list[Placement]:
        """The pupil's placements still running (their hours count in the full-time total)."""
        if pupil is None:
            return []
        rows = await ctx.session.scalars(
            select(Placement)
            .where(Placement.pupil_id == pupil.id, Placement.status == PlacementStatus.active)
            .order_by(Placement.start_date)
        )
        return list(rows.unique())

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
                    Choice(value=f"pupil-{p.id}", label=f"{p.known_as}, Year {p.year_group}")
                    for p in pupils
                ),
                Choice(value=NEW_PUPIL, label="Add a new pupil"),
            ],
            validate=lambda value: next(
                (
                    start_checks.year_group_problem(p.year_group)
                    for p in pupils
                    if f"pupil-{p.id}" == value
                ),
                None,
            ),
        )
        pupil = await self._pupil(ctx, answers)
        if answers.get("pupil") == NEW_PUPIL:
            async for step in pupil_steps.steps():
                yield step
        elif pupil is None:
            raise AnswerError("That pupil is no longer available; please pick again.")
        async for step in reason_steps.steps(answers, today=ctx.today):
            yield step
        flags = pupil_steps.flags_of(pupil, answers)
        calendar = await reason_steps.calendar(ctx, commissioner, answers)
        due_from = reason_steps.due_from(answers, calendar)

        active = await self._active_placements(ctx, pupil)
        providers = await self._providers(ctx)
        yield Step(
            "provider",
            PromptKind.choice,
            "Which AP provider?",
            notes=[
                *reason_steps.notes(
                    answers,
                    commissioner=commissioner,
                    pupil_has_ehcp="ehcp" in flags,
                    due=due_from,
                ),
                *([_already_placed(active)] if active else []),
            ],
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
                        f"{provider.name} is NOT registered with DfE. You remain responsible for "
                        "this pupil's safety: be satisfied it is safe and suitable, and get the "
                        "Letter of Assurance before the pupil starts. Keep the time there short or "
                        f"part-time. {fulltime.UNREGISTERED_LIMITS} {fulltime.UNREGISTERED_STATUS}"
                    ),
                )
            )
        if len(provider.sites) > 1:
            yield site_steps.site_question(provider, notes=warnings)
            warnings = []
        async for step in timetable_steps.steps(
            answers,
            provider=provider,
            active=active,
            commissioner=commissioner,
            today=ctx.today,
            notes=warnings,
        ):
            yield step
        check = timetable_steps.full_time_check(answers, commissioner, active)
        # Where no review was asked, what the check says goes with the next question.
        notes = timetable_steps.check_notes(answers, provider, check) if check.is_full_time else []
        start = answers.date("start_date")
        assert start is not None
        notes += reason_steps.late_start_notes(
            answers, start=start, due=due_from, days=calendar, today=ctx.today
        )
        async for step in attendance_steps.steps(
            ctx, answers, commissioner=commissioner, provider=provider, notes=notes
        ):
            yield step
        async for step in site_steps.steps(answers, provider=provider):
            yield step
        start = answers.date("start_date")
        assert start is not None
        async for step in objective_steps.steps(
            answers, earliest=start, planned_end=answers.date("planned_end_date")
        ):
            yield step
        yield Step(
            "return_plan",
            PromptKind.text,
            "What is the plan for the pupil's return or transition (to your school or another mainstream setting)?",
        )
        # Other providers involved: the pupil's other placements running at the start (the
        # bot tells each provider and ticks that check itself).
        others = timetable_steps.running(active, start)
        async for step in checklist_steps.steps(
            answers,
            fsm_eligible="fsm_eligible" in flags,
            commissioner_is_school=commissioner.kind == OrgKind.school,
            other_providers_involved=bool(others),
            start=start,
            today=ctx.today,
            reason=answers.text("reason"),
            calendar=calendar,
        ):
            yield step
        # As the placement service will decide which items apply.
        facts = checklist.ChecklistConditions(
            fsm_eligible="fsm_eligible" in flags,
            commissioner_is_school=commissioner.kind == OrgKind.school,
            other_providers_involved=bool(others),
            reason=answers.text("reason"),
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
                others,
                reason_steps.summary_lines(answers, start=start, due=due_from, days=calendar),
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
        others: list[Placement],
        reason_lines: list[str],
    ) -> str:
        name = (
            pupil.known_as
            if pupil
            else f"{answers.get('first_name')} {answers.get('last_name')} (new)"
        )
        lines = [
            "Please check, then answer yes to save:",
            f"Pupil: {name}",
            *reason_lines,
            f"Provider: {provider.name}" + (" (UNREGISTERED)" if provider.is_unregistered else ""),
            f"Dates: {uk_date(answers.date('start_date'))} to {uk_date(answers.date('planned_end_date'))}",
            f"At the provider: {days_text(answers.many('provider_days'))}, {answers.get('provider_hours')} h a week",
            check.summary,
        ]
        lines.append(site_steps.summary(answers, provider))
        if others:
            lines.append(
                "Other providers involved (each will be told): "
                + "; ".join(f"{p.provider.name} ({p.reference})" for p in others)
            )
        lines += part_time_steps.summary(answers, others)
        lines += [
            f"Attendance code: {answers.get('attendance_code')}; absences reported by {answers.get('absence_deadline')}",
            f"Welfare calls: {answers.get('welfare_call_party')}: {answers.get('welfare_call_arrangements')}",
            "Objectives:\n" + objectives_text(objective_steps.agreed(answers)),
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
        site_id = await site_steps.placement_site(ctx, answers)
        try:
            plan = PlacementPlan(
                pupil_id=pupil.id,
                commissioner_id=commissioner_id,
                provider_id=id_of(answers.text("provider")),
                site_id=site_id,
                reason=answers.text("reason"),
                reason_first_day=answers.date("reason_first_day"),
                suspension_days=answers.number("suspension_days"),
                reason_detail=answers.text("reason_detail"),
                start_date=answers.date("start_date"),
                planned_end_date=answers.date("planned_end_date"),
                review_date=answers.date("review_date"),
                provider_days=answers.many("provider_days"),
                provider_hours=Decimal(answers.get("provider_hours")),
                school_hours=Decimal(answers.get("school_hours")),
                part_time=part_time_steps.plan(
                    answers,
                    timetable_steps.running(
                        await self._active_placements(ctx, pupil), answers.date("start_date")
                    ),
                ),
                attendance_code=answers.get("attendance_code"),
                absence_deadline=answers.time("absence_deadline"),
                welfare_call_party=party,
                welfare_call_person_id=id_of(answers.text("welfare_call_person")),
                welfare_call_arrangements=answers.text("welfare_call_arrangements"),
                objectives=answers.text("objectives"),
                objective_list=objective_steps.agreed(answers),
                return_plan=answers.text("return_plan"),
                checklist=checklist_steps.answers_to_plan(answers),
            )
            placement = await create_placement(ctx.session, change, plan)
        except PlacementError as error:
            raise AnswerError(str(error)) from error
        await site_steps.keep_week(ctx, answers, placement)
        await ensure_loaded(ctx.session, placement, "checklist")
        due = [item for item in placement.checklist if item.status == ChecklistStatus.not_done]
        counts = checklist.checklist_counts(item.status for item in placement.checklist)
        text = f"Saved. Placement reference {placement.reference}. {_checks_text(counts.to_do)} "
        text += "The provider has been told the reference"
        leads = await safeguarding_leads(ctx.session, commissioner_id)
        others = [lead for lead in leads if lead.id != ctx.person.id]
        if len(others) < len(leads):  # the DSL started it: tell them who else heard
            text += ", and the other safeguarding leads have been told." if others else "."
        elif leads:
            text += ", and your DSL has been told."
        else:
            text += (
                ". No safeguarding lead is set up for you, so nobody else was told: ask your admin."
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
                    "reason": placement.reason.value if placement.reason else None,
                    "full_time_education_from": placement.full_time_education_from.isoformat()
                    if placement.full_time_education_from
                    else None,
                    "is_full_time": placement.is_full_time,
                    "total_hours": str(placement.total_hours),
                    "due_checks": [item.key for item in due],
                },
            )
        ]
