"""Change a placement after it started: its days and hours, site, planned end, review date,
absence deadline, who makes the welfare calls, or its objectives. The new value is asked with
the same questions (and checks) as at the start, then why, then a summary to confirm. Each change
is kept with who, when, why, and the value before and after (`history` shows them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy import select

from dialogs import attendance_steps, objective_steps, timetable_steps
from dialogs.common import a_reason, date_between, id_of, placement_label, pupil_label
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, uk_date
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action, can
from storage.models import (
    Organisation,
    Person,
    Placement,
    PlacementChangeKind,
    PlacementStatus,
    Site,
    WelfareCallParty,
)
from storage.rules import start_checks
from storage.services.placement_changes import (
    CHANGE_LABELS,
    SAFEGUARDING_CHANGES,
    ChangeError,
    PlacementUpdate,
    change_placement,
    current_objectives,
    describe,
)
from storage.services.welfare_tasks import open_call_days

Kind = PlacementChangeKind


async def _sites(ctx: DialogContext, placement: Placement) -> list[Site]:
    """The provider's sites (read once a turn)."""

    async def load() -> list[Site]:
        rows = await ctx.session.scalars(
            select(Site).where(Site.provider_id == placement.provider_id).order_by(Site.id)
        )
        return list(rows)

    return await ctx.once(("change-sites", placement.provider_id), load)


async def _others(ctx: DialogContext, placement: Placement) -> list[Placement]:
    """The pupil's other active placements (their hours count in the full-time total; read
    once a turn: the steps, the summary and the save all ask)."""

    async def load() -> list[Placement]:
        rows = await ctx.session.scalars(
            select(Placement)
            .where(
                Placement.pupil_id == placement.pupil_id,
                Placement.status == PlacementStatus.active,
                Placement.id != placement.id,
            )
            .order_by(Placement.start_date)
        )
        return list(rows.unique())

    return await ctx.once(("change-others", placement.id), load)


class ChangePlacementDialog(PlacementDialog):
    name = "change"
    title = "change placement"
    words = ("change", "change placement", "amend placement")
    needs = Action.change_placement
    which = "Which placement is changing?"
    nothing = "You have no active placements to change."
    may_use = "that you can change"
    to_list = "type change on its own"
    summary = (
        "`change AP-XXXX`: change days and hours, site, planned end, review date, absence "
        "deadline, welfare calls or objectives (with why; the provider is told)"
    )

    def closed(self, placement: Placement) -> str:
        return (
            f"{placement.reference} {placement.status.closed_phrase}, so it can't be changed. "
            "To place the pupil again, type start."
        )

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        provider = placement.provider
        sites = await _sites(ctx, placement)
        choices = [Choice(value=Kind.timetable.value, label="Days and hours (timetable)")]
        if len(sites) > 1:
            choices.append(Choice(value=Kind.site.value, label="Site"))
        choices += [
            Choice(value=Kind.planned_end.value, label="Planned end date"),
            Choice(value=Kind.review_date.value, label="Review date"),
            Choice(
                value=Kind.absence_deadline.value,
                label="Absence deadline (when the provider reports non-attendance)",
            ),
            Choice(value=Kind.welfare_calls.value, label="Welfare calls (who makes them, and how)"),
            Choice(value=Kind.objectives.value, label="Objectives (with target dates)"),
        ]
        yield Step("what", PromptKind.choice, "What is changing?", choices=choices)
        kind = Kind(answers.get("what"))
        async for step in self._new_value(ctx, answers, placement, provider, sites, kind):
            yield step
        yield Step(
            "reason",
            PromptKind.text,
            "Why is it changing? (kept with the change, e.g. 'agreed at the review meeting on "
            "27/11')",
            max_length=1000,
            validate=a_reason,
        )
        yield Step(
            "confirm", PromptKind.confirm, await self._summary(ctx, answers, placement, kind)
        )

    async def _new_value(
        self,
        ctx: DialogContext,
        answers: Answers,
        placement: Placement,
        provider: Organisation,
        sites: list[Site],
        kind: Kind,
    ) -> AsyncIterator[Step]:
        today = ctx.today
        match kind:
            case Kind.timetable:
                async for step in timetable_steps.week_steps(
                    answers,
                    provider=provider,
                    active=await _others(ctx, placement),
                    commissioner=placement.commissioner,
                    start=placement.start_date,
                    planned_end=placement.planned_end_date,
                    today=today,
                    earliest_review=today,
                ):
                    yield step
            case Kind.site:
                yield Step(
                    "site",
                    PromptKind.choice,
                    "Which site will the pupil attend now?",
                    choices=[
                        Choice(value=f"site-{s.id}", label=f"{s.name}, {s.address}")
                        for s in sites
                        if s.id != placement.site_id
                    ],
                )
            case Kind.planned_end:
                review = placement.review_date if not placement.is_full_time else None
                yield Step(
                    "planned_end_date",
                    PromptKind.date,
                    f"New planned end date? (now {uk_date(placement.planned_end_date)})",
                    sense=DateSense.planned,
                    validate=date_between(
                        max(today, placement.start_date + dt.timedelta(days=1), review or today),
                        None,
                        too_early=(
                            f"The part-time timetable's review ({uk_date(review)}) is after "
                            "that: change the review date first."
                            if review and review > today
                            else "The planned end must be after the start and not in the "
                            f"past: to end it now, type end {placement.reference}."
                        ),
                        too_late="",
                    ),
                )
            case Kind.review_date:
                yield Step(
                    "review_date",
                    PromptKind.date,
                    f"New review date? (now {uk_date(placement.review_date)})",
                    sense=DateSense.planned,
                    validate=lambda d: (
                        "The review can't be in the past."
                        if d < today
                        else start_checks.review_date_problem(
                            d, start=placement.start_date, planned_end=placement.planned_end_date
                        )
                    ),
                )
            case Kind.absence_deadline:
                yield attendance_steps.deadline_step(
                    notes=[],
                    default=f"{placement.absence_deadline:%H:%M}",
                )
            case Kind.welfare_calls:
                async for step in attendance_steps.welfare_steps(
                    ctx, answers, commissioner=placement.commissioner, provider=provider
                ):
                    yield step
            case Kind.objectives:
                objectives = await current_objectives(ctx.session, placement.id)
                now = describe(Kind.objectives, placement, objectives=objectives)
                async for step in objective_steps.steps(
                    answers,
                    earliest=today,
                    planned_end=placement.planned_end_date,
                    question=f"The objectives now:\n{now}\nWhat are the new objectives (all "
                    "of them)?",
                ):
                    yield step

    def update(
        self, answers: Answers, kind: Kind, *, other_hours: Decimal = Decimal(0)
    ) -> PlacementUpdate:
        """The answers as the change to make (`other_hours`: the pupil's other running
        placements' hours, from their timetables, for a new timetable)."""
        match kind:
            case Kind.timetable:
                return PlacementUpdate(
                    kind=kind,
                    provider_days=answers.many("provider_days"),
                    provider_hours=Decimal(answers.get("provider_hours")),
                    school_hours=Decimal(answers.get("school_hours") or 0),
                    other_hours=other_hours,
                    review_date=answers.date("review_date"),
                )
            case Kind.site:
                return PlacementUpdate(kind=kind, site_id=id_of(answers.text("site")))
            case Kind.planned_end:
                return PlacementUpdate(kind=kind, planned_end_date=answers.date("planned_end_date"))
            case Kind.review_date:
                return PlacementUpdate(kind=kind, review_date=answers.date("review_date"))
            case Kind.absence_deadline:
                return PlacementUpdate(kind=kind, absence_deadline=answers.time("absence_deadline"))
            case Kind.welfare_calls:
                return PlacementUpdate(
                    kind=kind,
                    welfare_call_party=WelfareCallParty(answers.get("welfare_call_party")),
                    welfare_call_person_id=id_of(answers.text("welfare_call_person")),
                    welfare_call_arrangements=answers.text("welfare_call_arrangements"),
                )
            case Kind.objectives:
                return PlacementUpdate(kind=kind, objectives=objective_steps.agreed(answers))
        raise AssertionError(kind)  # pragma: no cover - every kind is handled

    async def _summary(
        self, ctx: DialogContext, answers: Answers, placement: Placement, kind: Kind
    ) -> str:
        objectives = (
            await current_objectives(ctx.session, placement.id) if kind == Kind.objectives else []
        )
        was = describe(kind, placement, objectives=objectives)
        lines = [
            "Please check, then answer yes to save the change:",
            f"Placement: {placement_label(ctx, placement)}",
            f"Changing: {CHANGE_LABELS[kind]}",
            f"Was: {was}",
            f"Now: {self._new_words(answers, kind)}",
            f"Why: {answers.text('reason')}",
            "The provider is told what changed (the reference only)"
            + (
                ", and the DSL is told (safeguarding arrangements)."
                if kind in SAFEGUARDING_CHANGES
                else "."
            ),
        ]
        if kind == Kind.timetable:
            check = timetable_steps.full_time_check(
                answers, placement.commissioner, await _others(ctx, placement)
            )
            lines.insert(5, check.summary)
        return "\n".join(lines)

    def _new_words(self, answers: Answers, kind: Kind) -> str:
        update = self.update(answers, kind)
        match kind:
            case Kind.timetable:
                days = ", ".join(update.provider_days)
                review = f"; review {uk_date(update.review_date)}" if update.review_date else ""
                return f"{days}, {update.provider_hours} h a week at the provider{review}"
            case Kind.site:
                return "the site picked"
            case Kind.planned_end:
                return uk_date(update.planned_end_date)
            case Kind.review_date:
                return uk_date(update.review_date)
            case Kind.absence_deadline:
                return f"{update.absence_deadline:%H:%M}"
            case Kind.welfare_calls:
                who = (
                    "the school"
                    if update.welfare_call_party == WelfareCallParty.school
                    else "the provider"
                )
                return f"by {who}: {update.welfare_call_arrangements}"
            case Kind.objectives:
                return "\n" + "\n".join(
                    f"{n}. {o.text}" + (f" (by {uk_date(o.target_date)})" if o.target_date else "")
                    for n, o in enumerate(update.objectives, start=1)
                )
        raise AssertionError(kind)  # pragma: no cover - every kind is handled

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        kind = Kind(answers.get("what"))
        try:
            record = await change_placement(
                ctx.session,
                ctx.change,
                placement,
                update=self.update(
                    answers,
                    kind,
                    other_hours=timetable_steps.other_hours(await _others(ctx, placement), None)
                    if kind == Kind.timetable
                    else Decimal(0),
                ),
                reason=answers.text("reason") or "",
            )
        except ChangeError as error:
            raise AnswerError(str(error)) from error
        told = "The provider has been told what changed (the reference only)"
        if kind in SAFEGUARDING_CHANGES and not can(ctx.person, Action.read_chronology, placement):
            told += ", and your DSL has been told"
        text = f"Changed the {CHANGE_LABELS[kind]} of {placement.reference} ({pupil_label(ctx, placement)}). {told}."
        if kind == Kind.welfare_calls:
            days = await open_call_days(ctx.session, placement.id)
            if days:
                caller = await _caller(ctx, placement)
                listed = ", ".join(f"{d:%a %d/%m}" for d in days)
                text += (
                    f" The welfare call still open ({listed}) is now {caller}'s to make"
                    if len(days) == 1
                    else f" The {len(days)} welfare calls still open ({listed}) are now {caller}'s to make"
                ) + ", and they have been told."
        if kind == Kind.timetable:
            text += (
                " It is now full-time."
                if placement.is_full_time
                else f" It is now a part-time timetable (C2 for sessions not attended), "
                f"reviewed by {uk_date(placement.review_date)}."
            )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "change_id": record.id,
                    "what": kind.value,
                    "is_full_time": placement.is_full_time,
                    "total_hours": str(placement.total_hours),
                },
            )
        ]


async def _caller(ctx: DialogContext, placement: Placement) -> str:
    """Who makes the welfare calls now: the named person at the school, or the provider."""
    if placement.welfare_call_party == WelfareCallParty.school and placement.welfare_call_person_id:
        person = await ctx.session.get(Person, placement.welfare_call_person_id)
        if person is not None:
            return person.name
    return placement.provider.name
