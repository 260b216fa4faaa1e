"""When an unregistered AP provider looks like it needs to register as an independent school.

The test today (Education and Skills Act 2008, s.92, as DfE applies it): an institution that
provides full-time education for **five or more** pupils of compulsory school age, or for **one**
pupil who is looked after or has an EHC plan, is an independent school and must register; it
is an offence to run one unregistered. DfE generally treats education as full-time when a pupil
spends 18 hours a week or more there (`FULL_TIME_AT_PROVIDER`). The Children's Wellbeing and
Schools Act 2026 widens the single-pupil trigger once its section is in force (the wording says
so); until then the rule is today's.

A pure function over the active placements at one provider: nothing for ended placements, each
pupil counted once, only hours at this provider (not at school or elsewhere).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# Hours a week at the provider from which DfE treats the education there as full-time.
FULL_TIME_AT_PROVIDER = Decimal(18)
# Five or more pupils in full-time education make an independent school.
PUPILS_THRESHOLD = 5


class RegistrationTrigger(enum.StrEnum):
    """Why a provider may need to register (each alerted once per provider)."""

    five_or_more = "five_or_more"
    looked_after_or_ehcp = "looked_after_or_ehcp"


@dataclass(frozen=True)
class PupilThere:
    """One pupil's active placement at the provider: hours a week there and the two flags the
    test asks about."""

    pupil_id: int
    hours: Decimal
    looked_after: bool = False
    ehcp: bool = False


@dataclass(frozen=True)
class RegistrationFinding:
    """What the rule found at one provider."""

    triggers: tuple[RegistrationTrigger, ...]
    # Pupils in full-time education there (counted once each).
    full_time_pupils: int
    # Of those, how many are looked after or have an EHC plan.
    looked_after_or_ehcp: int


def full_time_there(hours: Decimal) -> bool:
    """Whether this many hours a week at the provider count as full-time education there."""
    return hours >= FULL_TIME_AT_PROVIDER


def registration_finding(
    *, unregistered: bool, pupils: Iterable[PupilThere]
) -> RegistrationFinding:
    """Which registration triggers an unregistered provider meets with these active placements
    (none for a registered one). A pupil with two placements there counts once, with their
    hours added up."""
    hours: dict[int, Decimal] = {}
    flagged: set[int] = set()
    for pupil in pupils:
        hours[pupil.pupil_id] = hours.get(pupil.pupil_id, Decimal(0)) + pupil.hours
        if pupil.looked_after or pupil.ehcp:
            flagged.add(pupil.pupil_id)
    full_time = {pupil_id for pupil_id, total in hours.items() if full_time_there(total)}
    special = full_time & flagged
    triggers: list[RegistrationTrigger] = []
    if unregistered and len(full_time) >= PUPILS_THRESHOLD:
        triggers.append(RegistrationTrigger.five_or_more)
    if unregistered and special:
        triggers.append(RegistrationTrigger.looked_after_or_ehcp)
    return RegistrationFinding(
        triggers=tuple(triggers),
        full_time_pupils=len(full_time),
        looked_after_or_ehcp=len(special),
    )
