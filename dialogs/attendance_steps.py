"""The attendance arrangements as questions: the register code for sessions at the provider,
when the provider says the pupil hasn't arrived, and who makes the welfare call home. Used by
start placement, and by change placement (`deadline_step`, `welfare_steps`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select

from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.prompts import Choice, Message, PromptKind
from storage.access import COMMISSIONER_ROLES
from storage.models import Organisation, OrgKind, Person
from storage.rules import codes, start_checks
from storage.services.placements import SCHOOL_STATUSES


async def steps(
    ctx: DialogContext,
    answers: Answers,
    *,
    commissioner: Organisation,
    provider: Organisation,
    notes: list[Message],
) -> AsyncIterator[Step]:
    """From the attendance code to the welfare-call arrangement. `notes`: said before the
    first question."""
    commissioner_is_la = commissioner.kind == OrgKind.local_authority
    provider_is_school = provider.registration_status in SCHOOL_STATUSES
    suggested = codes.suggested_placement_code(
        commissioner_is_la=commissioner_is_la, provider_is_school=provider_is_school
    )
    yield Step(
        "attendance_code",
        PromptKind.choice,
        f"Which attendance code will your register use for sessions at the provider? (blank for {suggested})",
        choices=[
            Choice(value=c.code, label=f"{c.code}: {c.meaning}") for c in codes.placement_codes()
        ],
        default=suggested,
        notes=notes,
        validate=lambda code: codes.placement_code_problem(
            code, provider_is_school=provider_is_school
        ),
    )
    code_warning = codes.placement_code_warning(
        answers.text("attendance_code") or "",
        commissioner_is_la=commissioner_is_la,
        provider_is_school=provider_is_school,
    )
    yield deadline_step(notes=[Message(level="warning", text=code_warning)] if code_warning else [])
    async for step in welfare_steps(ctx, answers, commissioner=commissioner, provider=provider):
        yield step


def deadline_step(*, notes: list[Message], default: str = "09:30") -> Step:
    """By what time the provider says the pupil hasn't arrived."""
    return Step(
        "absence_deadline",
        PromptKind.time,
        "By what time will the provider tell you the pupil hasn't arrived? "
        f"(24h, blank for {default})",
        default=default,
        notes=notes,
        validate=start_checks.absence_deadline_problem,
    )


async def welfare_steps(
    ctx: DialogContext, answers: Answers, *, commissioner: Organisation, provider: Organisation
) -> AsyncIterator[Step]:
    """Who makes the welfare call home, and the arrangement (when, where, who and why)."""
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
                Person.role.in_(sorted(COMMISSIONER_ROLES)),
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
