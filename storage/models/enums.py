"""The fixed vocabularies of the product, in the school's words."""

from __future__ import annotations

import enum


class OrgKind(enum.StrEnum):
    school = "school"
    provider = "provider"
    local_authority = "local_authority"


class RegistrationStatus(enum.StrEnum):
    """How an AP provider is registered with DfE (or not)."""

    registered_school = "registered_school"
    pru = "pru"
    ap_academy = "ap_academy"
    ap_free_school = "ap_free_school"
    unregistered = "unregistered"

    @property
    def label(self) -> str:
        return REGISTRATION_LABELS[self]


REGISTRATION_LABELS = {
    RegistrationStatus.registered_school: "Registered independent or mainstream school",
    RegistrationStatus.pru: "Pupil referral unit (PRU)",
    RegistrationStatus.ap_academy: "AP academy",
    RegistrationStatus.ap_free_school: "AP free school",
    RegistrationStatus.unregistered: "Unregistered provider",
}


class Role(enum.StrEnum):
    teacher = "teacher"
    dsl = "dsl"
    provider = "provider"
    la_officer = "la_officer"
    admin = "admin"


class PlacementStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    ended = "ended"
    # Closed before it started (started by mistake, or called off): never ran.
    withdrawn = "withdrawn"

    @property
    def is_closed(self) -> bool:
        """Ended or withdrawn: nothing is open, nudged or escalated for it any more."""
        return self in CLOSED_STATUSES

    @property
    def closed_phrase(self) -> str:
        """ "has ended" / "has been withdrawn", for telling someone why nothing more is due."""
        return "has been withdrawn" if self == PlacementStatus.withdrawn else f"has {self.value}"


# The one test of "ended or withdrawn" (see `PlacementStatus.is_closed`).
CLOSED_STATUSES = frozenset({PlacementStatus.ended, PlacementStatus.withdrawn})


class ChecklistStatus(enum.StrEnum):
    done = "done"
    not_done = "not_done"
    not_applicable = "not_applicable"


class ReasonForAp(enum.StrEnum):
    """Why the pupil is in AP: each reason brings its own duties (storage/rules/reasons.py).
    The stored values are fixed: other code and the census output read them."""

    suspension = "suspension"
    permanent_exclusion = "permanent_exclusion"
    off_site_direction = "off_site_direction"
    medical = "medical"
    ehc_plan = "ehc_plan"
    other = "other"

    @property
    def label(self) -> str:
        """The reason in the school's words."""
        return _REASON_LABELS[self]


_REASON_LABELS = {
    ReasonForAp.suspension: "Suspension",
    ReasonForAp.permanent_exclusion: "Permanent exclusion",
    ReasonForAp.off_site_direction: "Direction off-site to improve behaviour",
    ReasonForAp.medical: "Health needs (cannot attend school)",
    ReasonForAp.ehc_plan: "Provision named in an EHC plan",
    ReasonForAp.other: "Other",
}


class WelfareCallParty(enum.StrEnum):
    """Who agreed to make calls home when a pupil does not arrive."""

    school = "school"
    provider = "provider"


class RegisterSession(enum.StrEnum):
    am = "AM"
    pm = "PM"


class AttendanceStatus(enum.StrEnum):
    present = "present"
    absent = "absent"
    late = "late"


class WelfareCallStatus(enum.StrEnum):
    open = "open"
    done = "done"


class ChronologyKind(enum.StrEnum):
    concern = "concern"
    action = "action"
    update = "update"


class ChronologySource(enum.StrEnum):
    school = "school"
    provider = "provider"
    local_authority = "local_authority"


class QaRating(enum.StrEnum):
    good = "good"
    satisfactory = "satisfactory"
    requires_improvement = "requires_improvement"
    inadequate = "inadequate"


class ContactMethod(enum.StrEnum):
    phone = "phone"
    email = "email"
    meeting = "meeting"
    visit = "visit"
    video = "video"


class ContactWith(enum.StrEnum):
    """Who a contact was with: the guidance asks for ongoing contact with all three. Only the
    provider contact is the weekly interaction the "no weekly contact" nudge is about."""

    provider = "provider"
    parent_carer = "parent_carer"
    pupil = "pupil"


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    parked = "parked"
    # Not sent because it no longer applied by the time it could go (e.g. the register came in).
    expired = "expired"


class SiteKind(enum.StrEnum):
    """What a provider's site is: its own (main or satellite) or a subcontracted provider's,
    where another organisation teaches the pupil on the provider's behalf."""

    main = "main"
    satellite = "satellite"
    subcontracted = "subcontracted"

    @property
    def label(self) -> str:
        return {
            "main": "main site",
            "satellite": "satellite site",
            "subcontracted": "subcontracted provider's site",
        }[self.value]


class DayPlace(enum.StrEnum):
    """Where a placement's timetable puts the pupil on one weekday."""

    # At the provider (at the site named, if it has sites).
    provider = "provider"
    # At the commissioning (home) school.
    school = "school"
    # No education arranged that day.
    none = "none"
