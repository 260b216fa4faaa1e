"""Need-to-know, decided in one place: who may see and change what.

Deny by default. A school sees only its own pupils; a provider only pupils placed with it;
safeguarding detail only the commissioner's DSLs (an LA's officers when the LA commissions);
providers only the chronology entries shared with them.

Two narrowings on top of that:
- **A provider stops seeing a placement `PROVIDER_SEES_ENDED_DAYS` (30) days after it ended**:
  long enough to answer the school's questions and correct a late register, after which the
  pupil is no longer theirs to know about. Deciding it needs today's date (`today=`); without
  one, an ended placement is hidden from providers.
- **In a shared channel (a "place", the organisation the channel is linked to)** only that
  organisation's placements are offered or named, and only its own staff and the staff of the
  schools (or LA) commissioning a placement there may use the bot (`may_use_place`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    ChronologyEntry,
    Organisation,
    OrgKind,
    Person,
    Placement,
    PlacementStatus,
    Pupil,
    Role,
)
from storage.rules import codes


class Action(enum.StrEnum):
    view = "view"
    log_visit = "log_visit"
    report_attendance = "report_attendance"
    confirm_register = "confirm_register"
    log_contact = "log_contact"
    read_chronology = "read_chronology"
    write_chronology = "write_chronology"
    # Log a concern: anyone on the placement (a teacher too); it reaches the DSLs at once.
    log_concern = "log_concern"
    # Decide a serious concern's "review this placement now": the safeguarding leads only.
    decide_review = "decide_review"
    tick_check = "tick_check"
    end_placement = "end_placement"
    # Change an active placement's arrangements (`change`): the commissioner's staff.
    change_placement = "change_placement"
    # Close a placement that has not started yet (started by mistake, or called off).
    withdraw_placement = "withdraw_placement"
    # Postpone the Letter of Assurance: the DSL's decision alone, with a reason.
    move_letter_due = "move_letter_due"
    see_flags = "see_flags"
    # The governors' report, the full-record export and the audit trail.
    report = "report"
    # Where the pupil is now and each weekday (`where`): the commissioner's staff only (a
    # school's teachers and DSLs, an LA's officers for the LA's own placements). Not a
    # provider, nor an LA officer overseeing a school's placement.
    see_where = "see_where"


SCHOOL_ROLES = frozenset({Role.teacher, Role.dsl})
# Who acts for a commissioner: a school's staff, an LA's officers (when the LA commissions).
COMMISSIONER_ROLES = SCHOOL_ROLES | {Role.la_officer}
# The commissioner's safeguarding leads: a school's DSLs, an LA's officers.
SAFEGUARDING_ROLES = frozenset({Role.dsl, Role.la_officer})
COMMISSIONER_ACTIONS = {
    Action.view,
    Action.log_visit,
    Action.report_attendance,
    Action.log_contact,
    Action.log_concern,
    Action.tick_check,
    Action.end_placement,
    Action.change_placement,
    Action.withdraw_placement,
    Action.see_where,
}
SAFEGUARDING_ACTIONS = {
    Action.move_letter_due,
    Action.read_chronology,
    Action.write_chronology,
    Action.decide_review,
    Action.see_flags,
    Action.report,
}
PROVIDER_ACTIONS = {
    Action.view,
    Action.report_attendance,
    Action.confirm_register,
    Action.write_chronology,
    Action.log_concern,
}
START_PLACEMENT_ROLES = COMMISSIONER_ROLES
# How long after a placement ends its provider still sees it (late corrections, questions).
PROVIDER_SEES_ENDED_DAYS = 30


def provider_still_sees(placement: Placement, today: dt.date | None) -> bool:
    """An active placement, or one that ended within the last PROVIDER_SEES_ENDED_DAYS days."""
    if placement.status != PlacementStatus.ended:
        return True
    if today is None or placement.ended_on is None:
        return False
    return today <= placement.ended_on + dt.timedelta(days=PROVIDER_SEES_ENDED_DAYS)


def in_place(placement: Placement, place: int | None) -> bool:
    """Whether a placement belongs in a shared channel linked to organisation `place` (None:
    not a shared channel, so no narrowing)."""
    return place is None or place in (placement.provider_id, placement.commissioner_id)


def _acts_for_commissioner(person: Person, placement: Placement) -> bool:
    """Staff of the commissioning school, or officers of the commissioning LA."""
    if person.organisation_id is None:
        return False
    if person.role in SCHOOL_ROLES:
        return placement.commissioner_id == person.organisation_id
    if person.role == Role.la_officer:
        return placement.commissioner_id == person.organisation_id
    return False


def _is_safeguarding_lead(person: Person, placement: Placement) -> bool:
    return _acts_for_commissioner(person, placement) and person.role in SAFEGUARDING_ROLES


def _la_oversees(person: Person, placement: Placement) -> bool:
    """An LA officer sees every placement commissioned by a school in the LA (not its detail)."""
    return (
        person.role == Role.la_officer
        and person.organisation_id is not None
        and placement.commissioner.la_id == person.organisation_id
    )


def can(
    person: Person,
    action: Action,
    placement: Placement,
    *,
    today: dt.date | None = None,
    place: int | None = None,
) -> bool:
    """May this person do this to (or see this of) this placement? `today` lets a provider
    still see a recently ended placement; `place` narrows to a shared channel's organisation."""
    if not person.active or not in_place(placement, place):
        return False
    if person.role == Role.provider and not provider_still_sees(placement, today):
        return False
    if action in SAFEGUARDING_ACTIONS:
        if action == Action.write_chronology and person.role == Role.provider:
            return placement.provider_id == person.organisation_id
        return _is_safeguarding_lead(person, placement)
    if person.role == Role.provider:
        return action in PROVIDER_ACTIONS and placement.provider_id == person.organisation_id
    if action in COMMISSIONER_ACTIONS and _acts_for_commissioner(person, placement):
        return True
    return action == Action.view and _la_oversees(person, placement)


def can_set_code(person: Person, placement: Placement, code: str) -> bool:
    """May this person put this register code on one of the placement's sessions?

    The register is the school's (regulation 10 of the 2024 pupil registration regulations):
    authorising an absence, granting leave and judging exceptional circumstances are the
    school's. So a code whose `set_by` is "school" in `storage/rules/codes.toml` is set only by
    the commissioning school's staff (teachers and DSLs; an LA's officers where the LA
    commissions). A provider reports what happened: N (reason not yet established), or late
    (L, U); any other code it chooses is kept as a proposal for the school.
    """
    return code_rights(person, placement).may_set(code)


@dataclass(frozen=True)
class CodeRights:
    """`can_set_code` for one person and placement, decided once for every code (a dialog
    offering the absence codes asks it of each)."""

    may_report: bool
    acts_for_commissioner: bool

    def may_set(self, code: str) -> bool:
        if not self.may_report:
            return False
        found = codes.all_codes().get(code.strip().upper())
        if found is None:
            return False
        return not found.school_decides or self.acts_for_commissioner


def code_rights(person: Person, placement: Placement) -> CodeRights:
    """What `can_set_code` says of this person and placement, for any code."""
    return CodeRights(
        may_report=can(person, Action.report_attendance, placement),
        acts_for_commissioner=_acts_for_commissioner(person, placement),
    )


def can_read_entry(
    person: Person, placement: Placement, entry: ChronologyEntry, *, today: dt.date | None = None
) -> bool:
    """A chronology entry: the commissioner's safeguarding leads see all; a provider sees the
    entries it wrote or that were shared with it (while it still sees the placement)."""
    if can(person, Action.read_chronology, placement):
        return True
    return (
        person.role == Role.provider
        and provider_still_sees(placement, today)
        and placement.provider_id == person.organisation_id
        and (person.organisation_id in (entry.shared_with or []))
    )


class Reading(enum.StrEnum):
    """The parts of a placement's record that can be read in chat (`chronology`, `visits`,
    `contacts`, `history`)."""

    # Its start and its end.
    placement = "placement"
    # QA visits, with the pupil's voice.
    visits = "visits"
    # The weekly contact log.
    contacts = "contacts"
    # Absences and late marks as reported, and changes to marks.
    attendance = "attendance"
    welfare_calls = "welfare_calls"
    chronology = "chronology"
    # Checks ticked (or marked not applicable).
    checklist = "checklist"
    # Changes to the arrangements after the start (`change`), with who, when and why.
    changes = "changes"


# A provider reads its own reports (absences, mark changes, welfare calls its staff made or
# were given) and the chronology entries shared with it: nothing else of the school's record.
PROVIDER_READS = frozenset(
    {Reading.placement, Reading.attendance, Reading.welfare_calls, Reading.chronology}
)


class Task(enum.StrEnum):
    """What a person may do that is not about one placement (each placement it then touches is
    checked with `can` as usual)."""

    # Start a placement, for a pupil of their own school (or LA).
    start_placement = "start_placement"
    # A week of register marks for the school's MIS.
    see_marks = "see_marks"
    # The inspection-ready list of every AP the school uses.
    ap_list = "ap_list"
    # The daily safeguarding digest, on demand.
    digest = "digest"
    # The LA's view across its schools: every provider, its placements (by reference), QA
    # visit coverage, providers that may need to register. An LA's officers only: no single
    # school (nor a provider) sees across schools.
    la_view = "la_view"
    # Help, what is due for me, my notices, the attendance codes: anyone the bot knows.
    ask = "ask"


TASK_ROLES = {
    Task.start_placement: START_PLACEMENT_ROLES,
    Task.see_marks: COMMISSIONER_ROLES,
    Task.ap_list: SAFEGUARDING_ROLES,
    Task.digest: SAFEGUARDING_ROLES,
    Task.la_view: frozenset({Role.la_officer}),
    Task.ask: frozenset(Role),
}

# What a command needs: an action on a placement, a part of its record to read, or a task.
Need = Action | Reading | Task


def roles_for(need: Need) -> frozenset[Role]:
    """The roles that may ever do this (an action or reading: on some placement). A command
    is refused at once to anyone else; for the rest, each placement is still checked with
    `can` or `readable`. Read off the tables above, so `can` and this never disagree."""
    if isinstance(need, Task):
        return TASK_ROLES[need]
    if isinstance(need, Reading):
        # The chronology is the safeguarding leads'; the rest the commissioner's staff's; a
        # provider its own part (PROVIDER_READS).
        roles = SAFEGUARDING_ROLES if need == Reading.chronology else COMMISSIONER_ROLES
        return roles | ({Role.provider} if need in PROVIDER_READS else set())
    roles = SAFEGUARDING_ROLES if need in SAFEGUARDING_ACTIONS else frozenset()
    if need in COMMISSIONER_ACTIONS:
        roles |= COMMISSIONER_ROLES
    if need in PROVIDER_ACTIONS:
        roles |= {Role.provider}
    if need == Action.view:  # an LA officer oversees its schools' placements
        roles |= {Role.la_officer}
    return roles


def readable(
    person: Person,
    placement: Placement,
    *,
    today: dt.date | None = None,
    place: int | None = None,
) -> frozenset[Reading]:
    """What of this placement's record this person may read. The commissioner's safeguarding
    leads (a school's DSLs, an LA's officers when the LA commissions) read all of it; the
    commissioning school's teachers all but the chronology; a provider `PROVIDER_READS`, and
    of those only its own reports (`can_read_report`) and the entries shared with it
    (`can_read_entry`); an LA officer overseeing a school's placement only its start and end."""
    if not can(person, Action.view, placement, today=today, place=place):
        return frozenset()
    if can(person, Action.read_chronology, placement, place=place):
        return frozenset(Reading)
    if person.role == Role.provider:
        return PROVIDER_READS
    if _acts_for_commissioner(person, placement):
        return frozenset(Reading) - {Reading.chronology}
    return frozenset({Reading.placement})


def can_read_report(person: Person, placement: Placement, author_org: int | None) -> bool:
    """A report (an absence, a mark change, a welfare call) whose author works for `author_org`:
    the commissioner's side reads every one; a provider only those its own staff made."""
    if person.role != Role.provider:
        return True
    return author_org is not None and author_org == person.organisation_id == placement.provider_id


def can_start_placement(person: Person) -> bool:
    return (
        person.active
        and person.role in START_PLACEMENT_ROLES
        and person.organisation_id is not None
    )


def placements_query(
    person: Person,
    *,
    active_only: bool = True,
    today: dt.date | None = None,
    place: int | None = None,
) -> Select[Placement]:
    """Placements the person may see at all (further actions are checked with `can`). With
    `active_only=False` a provider still gets only placements ended in the last
    PROVIDER_SEES_ENDED_DAYS days before `today`; `place` narrows to a shared channel's."""
    query = select(Placement)
    org = person.organisation_id
    if not person.active or org is None:
        return query.where(Placement.id.is_(None))
    if person.role in SCHOOL_ROLES:
        query = query.where(Placement.commissioner_id == org)
    elif person.role == Role.provider:
        query = query.where(Placement.provider_id == org)
    elif person.role == Role.la_officer:
        commissioner = aliased(Organisation)
        query = query.join(commissioner, Placement.commissioner_id == commissioner.id).where(
            or_(commissioner.id == org, commissioner.la_id == org)
        )
    else:
        return query.where(Placement.id.is_(None))
    if place is not None:
        query = query.where(or_(Placement.provider_id == place, Placement.commissioner_id == place))
    if active_only:
        query = query.where(Placement.status == PlacementStatus.active)
    elif person.role == Role.provider:
        recent = (
            and_(
                Placement.ended_on.is_not(None),
                Placement.ended_on >= today - dt.timedelta(days=PROVIDER_SEES_ENDED_DAYS),
            )
            if today is not None
            else false()
        )
        query = query.where(or_(Placement.status != PlacementStatus.ended, recent))
    return query.order_by(Placement.reference)


async def may_use_place(session: AsyncSession, person: Person, place: int) -> bool:
    """May this person use the bot in a shared channel linked to organisation `place`? Its own
    staff, and staff of a school (or LA) with an active placement there; nobody else."""
    if not person.active or person.organisation_id is None:
        return False
    if person.organisation_id == place:
        return True
    if person.role == Role.provider:
        return False
    found = await session.scalar(
        placements_query(person, place=place).with_only_columns(Placement.id).limit(1)
    )
    return found is not None


ScopeKey = tuple[str, int]


def scope_key(person: Person) -> ScopeKey | None:
    """Which placements `placements_query` gives this person, as a key that `scope_keys` of
    a placement matches (None: none at all). For building many people's views at once."""
    org = person.organisation_id
    if not person.active or org is None:
        return None
    if person.role in SCHOOL_ROLES:
        return ("commissioner", org)
    if person.role == Role.provider:
        return ("provider", org)
    if person.role == Role.la_officer:
        return ("la", org)
    return None


def scope_keys(placement: Placement) -> list[ScopeKey]:
    """The scope keys under which people see this placement (see `scope_key`)."""
    keys = [
        ("commissioner", placement.commissioner_id),
        ("provider", placement.provider_id),
        ("la", placement.commissioner_id),
    ]
    if placement.commissioner.la_id is not None:
        keys.append(("la", placement.commissioner.la_id))
    return keys


def placements_scope(people: Iterable[Person]) -> ColumnElement[bool]:
    """One condition matching the placements any of these people may see (`placements_query`
    for many people at once; status not included)."""
    keys = {key for key in map(scope_key, people) if key is not None}
    commissioners = sorted(org for kind, org in keys if kind in ("commissioner", "la"))
    providers = sorted(org for kind, org in keys if kind == "provider")
    las = sorted(org for kind, org in keys if kind == "la")
    # Only the parts needed, so the database can use the index on each column.
    parts: list[ColumnElement[bool]] = []
    if commissioners:
        parts.append(Placement.commissioner_id.in_(commissioners))
    if providers:
        parts.append(Placement.provider_id.in_(providers))
    if las:
        schools = select(Organisation.id).where(Organisation.la_id.in_(las))
        parts.append(Placement.commissioner_id.in_(schools))
    return or_(*parts) if parts else false()


def pupils_query(person: Person) -> Select[Pupil]:
    """Pupils a person may pick when starting a placement: their own school's (an LA officer:
    the LA's own pupils, e.g. permanently excluded)."""
    org = person.organisation_id
    if not person.active or org is None or person.role not in START_PLACEMENT_ROLES:
        return select(Pupil).where(Pupil.id.is_(None))
    # Names are encrypted at rest, so callers sort by name after reading.
    return select(Pupil).where(Pupil.home_org_id == org).order_by(Pupil.id)


def commissioner_kind(person: Person) -> OrgKind | None:
    organisation = person.organisation
    return organisation.kind if organisation else None
