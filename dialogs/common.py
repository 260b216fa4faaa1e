"""Pieces several dialogs share: picking a placement the person may act on, naming pupils."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from dialogs.context import Answers, DialogContext
from dialogs.parsing import AnswerError
from dialogs.prompts import Choice
from storage.access import Action, can, code_rights, placements_query
from storage.models import Placement
from storage.rules import codes
from storage.services.placements import find_by_reference

DAY_CHOICES = [
    Choice(value="mon", label="Monday"),
    Choice(value="tue", label="Tuesday"),
    Choice(value="wed", label="Wednesday"),
    Choice(value="thu", label="Thursday"),
    Choice(value="fri", label="Friday"),
]
DAY_NAMES = {choice.value: choice.label for choice in DAY_CHOICES}


def id_of(value: str | None) -> int | None:
    """The record id inside a choice value such as `pupil-12` (values are never bare numbers,
    so typing `1` always means the first option shown)."""
    if not value or "-" not in value:
        return None
    tail = value.rsplit("-", 1)[1]
    return int(tail) if tail.isdigit() else None


# Kept with the answers when a dialog starts in a shared channel, so every later question there
# still names pupils by reference only, whichever way it is asked again.
SHARED = "shared"
# And the organisation that channel belongs to: only its placements are offered there.
PLACE = "place"


def remember_shared(ctx: DialogContext, answers: Answers) -> Answers:
    if ctx.shared:
        answers.data[SHARED] = True
    if ctx.place is not None:
        answers.data[PLACE] = ctx.place
    return answers


def as_begun(ctx: DialogContext, answers: Answers) -> DialogContext:
    """The context as the dialog began: shared (and narrowed to the channel's organisation) if
    it started in a shared channel."""
    if not answers.flag(SHARED):
        return ctx
    place = answers.number(PLACE)
    return dataclasses.replace(ctx, shared=True, place=ctx.place if place is None else place)


def pupil_label(ctx: DialogContext, placement: Placement) -> str:
    """How to name the pupil here: initials in a shared channel, the name in a private chat."""
    return pupil_name(placement, shared=ctx.shared)


def pupil_name(placement: Placement, *, shared: bool) -> str:
    """The pupil's initials where others can read (`shared`), their name in private."""
    if shared:
        return placement.pupil.initials
    return placement.pupil.known_as


def placement_label(ctx: DialogContext, placement: Placement) -> str:
    return placement_line(placement, shared=ctx.shared)


def placement_line(placement: Placement, *, shared: bool) -> str:
    """`AP-7K3Q · Jamie Testpupil · Pathways` (initials where others can read)."""
    return f"{placement.reference} · {pupil_name(placement, shared=shared)} · {placement.provider.name}"


async def placements_for(ctx: DialogContext, action: Action) -> list[Placement]:
    """Active placements the person may take this action on (here: in a shared channel, only
    that channel's organisation's)."""
    rows = await ctx.session.scalars(placements_query(ctx.person, place=ctx.place))
    return [p for p in rows.unique() if can(ctx.person, action, p, place=ctx.place)]


async def chosen_placement(ctx: DialogContext, answers: Answers, action: Action) -> Placement:
    """The placement answered, re-checked: access may have changed since it was picked. Looked
    up once per turn (the steps are replayed several times in one)."""
    reference = answers.text("placement") or ""
    placement = ctx.found.get(reference)
    if placement is None:
        placement = await find_by_reference(ctx.session, reference)
    if placement is None or not can(ctx.person, action, placement, place=ctx.place):
        raise AnswerError("That placement is no longer available to you.")
    ctx.found[reference] = placement
    return placement


def days_text(days: list[str]) -> str:
    return ", ".join(DAY_NAMES.get(day, day) for day in days) or "no days"


def date_between(
    earliest: dt.date | None,
    latest: dt.date | None,
    *,
    too_early: str,
    too_late: str,
) -> Callable[[dt.date], str | None]:
    """A date step's check: refuse a date before `earliest` or after `latest` (either may be
    None for no limit) with the message given."""

    def check(value: dt.date) -> str | None:
        if earliest is not None and value < earliest:
            return too_early
        if latest is not None and value > latest:
            return too_late
        return None

    return check


# Words that answer a yes/no question, not "why": typed where a reason is asked (often by
# someone who took the question for the confirmation), they would be kept as the reason.
NOT_A_REASON = frozenset(
    {
        "y",
        "yes",
        "yeah",
        "yep",
        "n",
        "no",
        "nope",
        "ok",
        "okay",
        "sure",
        "done",
        "confirm",
        "n/a",
        "na",
        "none",
        "-",
        "?",
    }
)


def a_reason(value: str) -> str | None:
    """A "why" question's check: a reason in words, not a bare yes, no or ok."""
    if value.strip().strip(".!").lower() in NOT_A_REASON:
        return (
            f"'{value.strip()}' doesn't say why. Please give the reason in a few words "
            "(it is kept with the record), or type back or cancel."
        )
    return None


def absence_code_choices(ctx: DialogContext, placement: Placement) -> list[Choice]:
    """Every absence code; one only the school may set is offered to others as a proposal."""
    rights = code_rights(ctx.person, placement)
    return [
        Choice(
            value=code.code,
            label=code.label
            if rights.may_set(code.code)
            else f"{code.label} (the school decides: sent as your proposal)",
        )
        for code in codes.absence_codes()
    ]
