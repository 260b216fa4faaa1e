"""The safeguarding checklist for commissioning schools, as data.

The items follow the seed guidance section by section and in its order. Each has a stable `key`
(stored on `ChecklistItem.key`), a short label in the school's words, one sentence of guidance,
and when it should be done by if it was not done before the placement started.

Quality assurance visits and reporting to governors are in the guidance too, but they recur, so
they live in `storage.rules.cadence` and the reports rather than as one-off checks here.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from storage.rules import reasons
from storage.rules.calendar import SchoolCalendar

SAFER_RECRUITMENT = "Safer recruitment"
POLICIES = "Policies and procedures"
COMMUNICATION = "Communication"
ATTENDANCE = "Attendance"
TRAVEL = "Travel"

SECTIONS: tuple[str, ...] = (SAFER_RECRUITMENT, POLICIES, COMMUNICATION, ATTENDANCE, TRAVEL)

# Needed before the pupil's first day at the provider.
BEFORE_START = 0
# Soon after the start, once the placement is running.
FIRST_WEEK = 7
FIRST_FORTNIGHT = 14


@dataclass(frozen=True)
class ChecklistConditions:
    """What the checklist needs to know about a placement to decide which items apply (the
    conditions `ApplyWhen` tests)."""

    fsm_eligible: bool
    commissioner_is_school: bool
    other_providers_involved: bool
    # Why the pupil is in AP (a `ReasonForAp` value; None for a placement from before it was
    # asked): some reasons bring their own checks.
    reason: str | None = None


class ApplyWhen(enum.StrEnum):
    """When a checklist item applies to a placement."""

    always = "always"
    fsm_eligible = "fsm_eligible"
    school_commissions = "school_commissions"
    other_providers_involved = "other_providers_involved"
    off_site_direction = "off_site_direction"
    health_needs_school = "health_needs_school"
    ehc_plan = "ehc_plan"

    def applies(self, facts: ChecklistConditions) -> bool:
        """Whether an item with this condition applies to a placement with these facts."""
        if self is ApplyWhen.fsm_eligible:
            return facts.fsm_eligible
        if self is ApplyWhen.school_commissions:
            return facts.commissioner_is_school
        if self is ApplyWhen.other_providers_involved:
            return facts.other_providers_involved
        if self is ApplyWhen.off_site_direction:
            return facts.reason == reasons.OFF_SITE_DIRECTION
        if self is ApplyWhen.health_needs_school:
            return facts.reason == reasons.MEDICAL and facts.commissioner_is_school
        if self is ApplyWhen.ehc_plan:
            return facts.reason == reasons.EHC_PLAN
        return True

    @property
    def description(self) -> str:
        """The condition in words, for a "not applicable" reason or a help text."""
        return _APPLY_WHEN_DESCRIPTIONS[self]


# The conditions that are a reason for AP (the checks such a reason brings).
REASON_CONDITIONS = frozenset(
    {ApplyWhen.off_site_direction, ApplyWhen.health_needs_school, ApplyWhen.ehc_plan}
)

_APPLY_WHEN_DESCRIPTIONS = {
    ApplyWhen.always: "every placement",
    ApplyWhen.fsm_eligible: "only if the pupil is eligible for free school meals",
    ApplyWhen.school_commissions: "only when a school, not the local authority, commissions",
    ApplyWhen.other_providers_involved: "only when other providers are involved",
    ApplyWhen.off_site_direction: "only when the pupil is directed off-site to improve behaviour",
    ApplyWhen.health_needs_school: (
        "only when a school places a pupil who cannot attend because of health needs"
    ),
    ApplyWhen.ehc_plan: "only when the provision is named in the pupil's EHC plan",
}


@dataclass(frozen=True)
class ChecklistDefinition:
    """One safeguarding check from the guidance.

    `automatic` items are answered by the start-placement dialog itself (for example the
    absence deadline or the full-time check, or the bot when it tells the providers which
    others are involved) rather than asked as a separate question.
    `default_due_days` counts from the placement start date; 0 means before the pupil starts.
    """

    key: str
    section: str
    label: str
    guidance: str
    default_due_days: int
    applies: ApplyWhen = ApplyWhen.always
    optional: bool = False
    automatic: bool = False
    # False: the guidance wants it for every placement, so it can never be "not applicable".
    may_be_not_applicable: bool = True
    # Due this many school days before the first day (the school calendar decides), instead
    # of `default_due_days` calendar days after it.
    school_days_before_start: int | None = None


ALL_ITEMS: tuple[ChecklistDefinition, ...] = (
    # Safer recruitment
    ChecklistDefinition(
        key="letter_of_assurance",
        section=SAFER_RECRUITMENT,
        label="Letter of Assurance received",
        guidance=(
            "The AP has confirmed in writing that the safer recruitment checks the school would "
            "make have been made for all AP staff."
        ),
        default_due_days=BEFORE_START,
        # Written confirmation is needed for every AP (the LA guidance), so never "n/a".
        may_be_not_applicable=False,
    ),
    ChecklistDefinition(
        key="checks_sighted",
        section=SAFER_RECRUITMENT,
        label="Staff checks sighted",
        guidance=(
            "Schools may want to see the staff checks themselves as well as receiving the "
            "Letter of Assurance."
        ),
        default_due_days=FIRST_FORTNIGHT,
        optional=True,
    ),
    # Policies and procedures
    ChecklistDefinition(
        key="our_policy_shared",
        section=POLICIES,
        label="Our safeguarding policy shared with the AP",
        guidance="Share your safeguarding (and related) policies with the AP.",
        default_due_days=BEFORE_START,
    ),
    ChecklistDefinition(
        key="ap_policy_received",
        section=POLICIES,
        label="AP's safeguarding policy received",
        guidance="Receive a copy of the AP's safeguarding policy (and other related policies).",
        default_due_days=BEFORE_START,
    ),
    ChecklistDefinition(
        key="issue_sharing_agreed",
        section=POLICIES,
        label="Agreed how new issues are shared",
        guidance=(
            "Agree how new or developing issues are shared between the provider and the "
            "commissioning school, who must also keep other providers involved informed."
        ),
        default_due_days=BEFORE_START,
    ),
    # Communication
    ChecklistDefinition(
        key="chronology_shared",
        section=COMMUNICATION,
        label="Safeguarding chronology shared",
        guidance=(
            "A chronology of safeguarding concerns and actions is shared with each provider at "
            "the start of the placement and kept up to date both ways."
        ),
        default_due_days=BEFORE_START,
    ),
    ChecklistDefinition(
        key="plans_shared",
        section=COMMUNICATION,
        label="Risk assessment and plans shared",
        guidance=(
            "Share risk assessments, CP/CiN plans, EHCPs, individual behaviour plans and any "
            "support packages used by the pupil and family, on a need-to-know basis."
        ),
        default_due_days=BEFORE_START,
    ),
    ChecklistDefinition(
        key="other_providers_told",
        section=COMMUNICATION,
        label="Providers told which other providers are involved",
        guidance=(
            "Each provider knows which other providers are involved, so they can contribute to "
            "a contextual approach to safeguarding."
        ),
        default_due_days=FIRST_WEEK,
        applies=ApplyWhen.other_providers_involved,
        # The bot tells each provider itself, and ticks it (storage/services/other_providers.py).
        automatic=True,
    ),
    ChecklistDefinition(
        key="fsm_arranged",
        section=COMMUNICATION,
        label="Free school meals arranged",
        guidance=(
            "A pupil eligible for free school meals is offered vouchers, food or meals so the "
            "support continues while attending AP."
        ),
        # The pupil needs to eat from the first day.
        default_due_days=BEFORE_START,
        applies=ApplyWhen.fsm_eligible,
    ),
    ChecklistDefinition(
        key="parents_informed",
        section=COMMUNICATION,
        label="Parents/carers informed",
        guidance=(
            "Parents and carers are part of the ongoing contact, with clear procedures to "
            "exchange information, monitor progress and provide pastoral support."
        ),
        default_due_days=BEFORE_START,
    ),
    ChecklistDefinition(
        key="length_and_return_agreed",
        section=COMMUNICATION,
        label="Planned length and return plan agreed",
        guidance=(
            "Agree the planned length of the placement and a robust transition to, and upon "
            "return to, the commissioning school to support the pupil's wellbeing."
        ),
        default_due_days=FIRST_FORTNIGHT,
    ),
    ChecklistDefinition(
        key="la_notified",
        section=COMMUNICATION,
        label="LA notified of the placement",
        guidance=(
            "The local authority is told of the placement so it knows where the pupil is being "
            "educated."
        ),
        default_due_days=FIRST_WEEK,
        applies=ApplyWhen.school_commissions,
    ),
    # Why the pupil is in AP: a direction off-site (Education (Educational Provision for
    # Improving Behaviour) Regulations 2010, regs 3 to 5), health needs, an EHC plan.
    ChecklistDefinition(
        key="off_site_notice_given",
        section=COMMUNICATION,
        label="Written notice of the direction off-site given to parents",
        guidance=(
            "At least two school days before the first day: the address, who the pupil reports "
            "to on arrival, the number of days, the session times, and the reasons for and "
            "objectives of the direction (to the LA too if the pupil has an EHC plan)."
        ),
        default_due_days=BEFORE_START,
        applies=ApplyWhen.off_site_direction,
        may_be_not_applicable=False,
        school_days_before_start=reasons.OFF_SITE_NOTICE_SCHOOL_DAYS,
    ),
    ChecklistDefinition(
        key="off_site_review_held",
        section=COMMUNICATION,
        label="First review meeting of the direction off-site held",
        guidance=(
            "The governing body reviews the direction at intervals it judges right for the "
            "pupil, with the parents invited (and the LA for a pupil with an EHC plan); a parent "
            "may ask for a review, due unless one was held in the last 10 weeks."
        ),
        default_due_days=reasons.OFF_SITE_FIRST_REVIEW_DAYS,
        applies=ApplyWhen.off_site_direction,
        may_be_not_applicable=False,
    ),
    ChecklistDefinition(
        key="health_needs_la_involved",
        section=COMMUNICATION,
        label="LA involved: the pupil cannot attend because of health needs",
        guidance=(
            "The local authority must arrange suitable education for a pupil who cannot attend "
            "school because of health (Education Act 1996 s19), once it is clear they will miss "
            f"{reasons.HEALTH_NEEDS_DAYS} school days or more; medical evidence shared."
        ),
        default_due_days=FIRST_WEEK,
        applies=ApplyWhen.health_needs_school,
    ),
    ChecklistDefinition(
        key="ehc_la_consulted",
        section=COMMUNICATION,
        label="LA consulted on the provision in the EHC plan",
        guidance=(
            "The LA that maintains the EHC plan is consulted and agrees the provision: it must "
            "secure what the plan names (Children and Families Act 2014 s42)."
        ),
        default_due_days=BEFORE_START,
        applies=ApplyWhen.ehc_plan,
        may_be_not_applicable=False,
    ),
    # Attendance
    ChecklistDefinition(
        key="absence_sharing_agreed",
        section=ATTENDANCE,
        label="Daily absence sharing agreed",
        guidance=(
            "Absence information is shared regularly, and daily where the school is the "
            "commissioner."
        ),
        default_due_days=BEFORE_START,
    ),
    ChecklistDefinition(
        key="absence_deadline_agreed",
        section=ATTENDANCE,
        label="Deadline for reporting non-attendance agreed",
        guidance="Agree by what time the AP will contact the school to report a non-attendance.",
        default_due_days=BEFORE_START,
        automatic=True,
    ),
    ChecklistDefinition(
        key="welfare_calls_agreed",
        section=ATTENDANCE,
        label="Welfare calls agreed",
        guidance="Agree who will make calls home and welfare checks: when, where, who and why.",
        default_due_days=BEFORE_START,
        automatic=True,
    ),
    ChecklistDefinition(
        key="attendance_code_agreed",
        section=ATTENDANCE,
        label="Attendance code agreed",
        guidance="Be familiar with, and agree, the attendance codes to be used.",
        default_due_days=BEFORE_START,
        automatic=True,
    ),
    ChecklistDefinition(
        key="full_time_provision",
        section=ATTENDANCE,
        label="Full-time provision in total",
        guidance="The pupil receives full-time provision in total across all settings.",
        default_due_days=BEFORE_START,
        automatic=True,
    ),
    # Travel: drivers and escorts are with the pupil from the first journey.
    ChecklistDefinition(
        key="travel_provider_qa",
        section=TRAVEL,
        label="Travel provider quality-assured",
        guidance=(
            "Quality-assure the travel provider and check its staff are appropriately "
            "safeguarding-trained."
        ),
        default_due_days=BEFORE_START,
    ),
    ChecklistDefinition(
        key="travel_policy_shared",
        section=TRAVEL,
        label="Travel provider given our policy and reporting process",
        guidance=(
            "Give the travel provider your safeguarding policy and the process for reporting a "
            "concern (who to), yours and the AP's."
        ),
        default_due_days=BEFORE_START,
    ),
)

LETTER_OF_ASSURANCE = "letter_of_assurance"
QUALITY_ASSURANCE = "Quality assurance"
PLACEMENT_REVIEW = "placement_review"
REGISTER_FOLLOW_UP = "register_follow_up"
# Due checks a QA visit raises (not part of the checklist a placement starts with).
FOLLOW_UP_ITEMS: tuple[ChecklistDefinition, ...] = (
    ChecklistDefinition(
        key=PLACEMENT_REVIEW,
        section=QUALITY_ASSURANCE,
        label="Review this placement (a QA visit found it unsafe or inadequate)",
        guidance=(
            "Decide with the DSL whether the placement can continue safely, what the provider "
            "must change, and by when."
        ),
        default_due_days=BEFORE_START,
        may_be_not_applicable=False,
    ),
    ChecklistDefinition(
        key=REGISTER_FOLLOW_UP,
        section=QUALITY_ASSURANCE,
        label="Follow up the register that did not match on a QA visit",
        guidance=(
            "Find out with the provider why its register differed from what you were told, and "
            "correct the attendance record."
        ),
        default_due_days=FIRST_WEEK,
        may_be_not_applicable=False,
    ),
)

_BY_KEY: dict[str, ChecklistDefinition] = {
    item.key: item for item in (*ALL_ITEMS, *FOLLOW_UP_ITEMS)
}


def definition(key: str) -> ChecklistDefinition:
    """The checklist item with this key.

    Raises KeyError naming the unknown key and the known ones.
    """
    try:
        return _BY_KEY[key]
    except KeyError:
        known = ", ".join(_BY_KEY)
        raise KeyError(f"Unknown checklist item {key!r}; known items are: {known}") from None


def applicable_items(facts: ChecklistConditions) -> list[ChecklistDefinition]:
    """The checklist items that apply to a placement with these facts, in the guidance's order."""
    return [item for item in ALL_ITEMS if item.applies.applies(facts)]


def items_in_section(section: str) -> list[ChecklistDefinition]:
    """All items of one section, in order. Raises ValueError for an unknown section."""
    if section not in SECTIONS:
        raise ValueError(f"Unknown checklist section {section!r}; sections are: {SECTIONS}")
    return [item for item in ALL_ITEMS if item.section == section]


def default_due_date(
    item: ChecklistDefinition, start_date: dt.date, calendar: SchoolCalendar | None = None
) -> dt.date:
    """When an item not yet done should be done by: its default days after the start date, or
    for an item due school days before the start, that school day (by `calendar`; without one,
    weekdays less bank holidays)."""
    if item.school_days_before_start is not None:
        days = calendar or SchoolCalendar()
        day_one = reasons.first_school_day_on_or_after(start_date, days)
        return days.add_school_days(day_one, -item.school_days_before_start)
    return start_date + dt.timedelta(days=item.default_due_days)


@dataclass(frozen=True)
class ChecklistCounts:
    """How a placement's checklist stands. The one definition, used by every view: an item
    marked not applicable is neither done nor to do, and is left out of the total."""

    done: int
    to_do: int
    not_applicable: int

    @property
    def applicable(self) -> int:
        """The items that count: done or still to do."""
        return self.done + self.to_do

    @property
    def percent(self) -> int | None:
        """Done as a whole percentage of the applicable items; None when none apply."""
        return round(100 * self.done / self.applicable) if self.applicable else None

    def __add__(self, other: ChecklistCounts) -> ChecklistCounts:
        return ChecklistCounts(
            self.done + other.done,
            self.to_do + other.to_do,
            self.not_applicable + other.not_applicable,
        )


def checklist_counts(statuses: Iterable[str]) -> ChecklistCounts:
    """Count items by status ("done", "not_done", "not_applicable": `ChecklistStatus` values,
    or the items' statuses themselves). Anything not done and not "not applicable" is to do."""
    done = to_do = not_applicable = 0
    for status in statuses:
        if status == "done":
            done += 1
        elif status == "not_applicable":
            not_applicable += 1
        else:
            to_do += 1
    return ChecklistCounts(done, to_do, not_applicable)
