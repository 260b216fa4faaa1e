"""Where the pupil is on each weekday, asked at `start`: which of the provider's sites (one
every day, or, for a pupil who moves between them, each day at the provider once the days are
known), and which of the other days at the home school (when the timetable has hours there).
Any day left: no education arranged that day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy.orm import selectinload

from dialogs.common import DAY_CHOICES, DAY_NAMES, id_of
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Choice, Message, PromptKind
from storage.models import DayPlace, Organisation, Placement, Site
from storage.rules.whereabouts import WEEKDAYS, DayWhere
from storage.services.whereabouts import WhereaboutsError, set_week


def site_label(site: Site) -> str:
    """A site as offered and summarised: its name, what it is, its address."""
    kind = site.kind.label
    if site.subcontractor_name:
        kind += f" run by {site.subcontractor_name}"
    return f"{site.name} ({kind}), {site.address}"


# The answer to "which site?" when the pupil moves between the provider's sites.
VARIES = "varies"


def site_question(provider: Organisation, *, notes: list[Message]) -> Step:
    """The site question, asked when the provider has more than one site: one of them every
    day, or different sites on different days (then each day is asked)."""
    return Step(
        "site",
        PromptKind.choice,
        "Which site will the pupil attend?",
        choices=[
            *(Choice(value=f"site-{s.id}", label=site_label(s)) for s in provider.sites),
            Choice(value=VARIES, label="Different sites on different days"),
        ],
        notes=notes,
    )


def _main_site(answers: Answers, provider: Organisation) -> int | None:
    """The site answered to "which site?" (or the only one); with different sites on
    different days, the first day's."""
    if answers.get("site") == VARIES:
        first = next(iter(answers.many("provider_days")), None)
        return id_of(answers.text(f"site_{first}")) if first else None
    chosen = id_of(answers.text("site"))
    if chosen is not None:
        return chosen
    return provider.sites[0].id if len(provider.sites) == 1 else None


async def steps(answers: Answers, *, provider: Organisation) -> AsyncIterator[Step]:
    """The questions once the timetable is known; `provider` with its sites loaded."""
    provider_days = answers.many("provider_days")
    if answers.get("site") == VARIES:
        for day in provider_days:
            yield Step(
                f"site_{day}",
                PromptKind.choice,
                f"On {DAY_NAMES[day]}s, at which of {provider.name}'s sites is the pupil?",
                choices=[Choice(value=f"site-{s.id}", label=site_label(s)) for s in provider.sites],
            )
    others = [day for day in WEEKDAYS if day not in provider_days]
    if others and Decimal(answers.get("school_hours") or 0) > 0:
        yield Step(
            "school_days",
            PromptKind.multichoice,
            "On which of the other days is the pupil at your school? (e.g. "
            f"{', '.join(others[:2])}; none if none; blank for all of them)",
            choices=[c for c in DAY_CHOICES if c.value in others],
            default=", ".join(others),
        )


def week(answers: Answers, provider: Organisation) -> dict[str, DayWhere]:
    """The week answered: every weekday, at the provider (which site), at school, or none."""
    main = _main_site(answers, provider)
    school_days = set(answers.many("school_days")) if "school_days" in answers else set()
    result: dict[str, DayWhere] = {}
    for day in WEEKDAYS:
        if day in answers.many("provider_days"):
            site = id_of(answers.text(f"site_{day}")) or main
            result[day] = DayWhere(DayPlace.provider, site)
        elif day in school_days:
            result[day] = DayWhere(DayPlace.school)
        else:
            result[day] = DayWhere(DayPlace.none)
    return result


def place_text(where: DayWhere | None, sites: dict[int, Site], provider_name: str) -> str:
    """One day's place in words: "Riverside (satellite site)", "your school", ..."""
    if where is None:
        return "not recorded"
    match where.place:
        case DayPlace.school:
            return "home school"
        case DayPlace.none:
            return "no education arranged"
    site = sites.get(where.site_id) if where.site_id is not None else None
    if site is None:
        return provider_name
    return f"{provider_name}, {site.name}" + (
        "" if site.kind.value == "main" else f" ({site.kind.label})"
    )


def week_text(week_: dict[str, DayWhere], sites: dict[int, Site], provider_name: str) -> str:
    """The week in one line, the provider named once: "Mon, Tue Main site; Wed home school"."""
    runs: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        where = week_.get(day)
        site = sites.get(where.site_id) if where and where.site_id is not None else None
        text = (
            site.name + ("" if site.kind.value == "main" else f" ({site.kind.label})")
            if site is not None
            else place_text(where, sites, provider_name)
        )
        if runs and runs[-1][1] == text:
            runs[-1][0].append(day)
        else:
            runs.append(([day], text))
    days = {day: DAY_NAMES[day][:3] for day in WEEKDAYS}
    named = any(where.site_id in sites for where in week_.values() if where.site_id is not None)
    return (f"at {provider_name} unless said: " if named else "") + "; ".join(
        f"{days[group[0]]}{'-' + days[group[-1]] if len(group) > 1 else ''} {text}"
        for group, text in runs
    )


def summary(answers: Answers, provider: Organisation) -> str:
    """The summary line before saving."""
    sites = {site.id: site for site in provider.sites}
    return "Where, each weekday: " + week_text(week(answers, provider), sites, provider.name)


async def keep_week(ctx: DialogContext, answers: Answers, placement: Placement) -> None:
    """Save the week answered for the placement just created."""
    provider = await ctx.session.get(
        Organisation,
        placement.provider_id,
        options=[selectinload(Organisation.sites)],
        populate_existing=True,
    )
    assert provider is not None
    try:
        await set_week(ctx.session, ctx.change, placement=placement, week=week(answers, provider))
    except WhereaboutsError as error:
        raise AnswerError(str(error)) from error


async def placement_site(ctx: DialogContext, answers: Answers) -> int | None:
    """The placement's site: the one answered (the first day's, when it varies), or the
    provider's only site."""
    provider = await ctx.session.get(
        Organisation,
        id_of(answers.text("provider")),
        options=[selectinload(Organisation.sites)],
        populate_existing=True,
    )
    return _main_site(answers, provider) if provider is not None else None
