"""Every table of the shared database."""

from storage.models.attendance_changes import AttendanceChange
from storage.models.base import Base
from storage.models.chat import (
    ChatChannel,
    ConversationRef,
    InboundEvent,
    PendingFile,
    QueuedTurn,
)
from storage.models.concern_reviews import ConcernReview, ConcernSeverity, ReviewDecision
from storage.models.enums import (
    CLOSED_STATUSES,
    AttendanceStatus,
    ChecklistStatus,
    ChronologyKind,
    ChronologySource,
    ContactMethod,
    ContactWith,
    DayPlace,
    OrgKind,
    OutboxStatus,
    PlacementStatus,
    QaRating,
    ReasonForAp,
    RegisterSession,
    RegistrationStatus,
    Role,
    SiteKind,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.models.keys import KeyCanary
from storage.models.organisations import Organisation, Site
from storage.models.part_time import PartTimeReview, PartTimeTimetable
from storage.models.people import Person, Pupil
from storage.models.placement_changes import (
    ObjectiveProgress,
    ObjectiveReview,
    ObjectiveStatus,
    PlacementChange,
    PlacementChangeKind,
    PlacementObjective,
)
from storage.models.placements import ChecklistItem, Placement
from storage.models.reading import NoticeRead, ReadingCursor
from storage.models.records import AttendanceRecord, ChronologyEntry, Contact, QaVisit, WelfareCall
from storage.models.scheduling import (
    NudgeSnooze,
    ReminderPreparation,
    ReminderSweep,
    TermBreakRecord,
)
from storage.models.slack_installations import slack_bots, slack_installations, slack_oauth_states
from storage.models.system import AuditCheck, AuditEntry, DialogState, OutboxMessage
from storage.models.welfare_calls import (
    WelfareCallAttempt,
    WelfareContact,
    WelfareEscalation,
    WelfareEscalationReason,
    WelfareNextStep,
)
from storage.models.whereabouts import PlacementDay
from storage.models.workspaces import WorkspaceLink

# Every audit row written through a session is chained (registers a flush hook).
from storage.models import audit_chain  # noqa: F401  isort: skip

__all__ = [
    "CLOSED_STATUSES",
    "AttendanceChange",
    "AttendanceRecord",
    "AttendanceStatus",
    "AuditCheck",
    "AuditEntry",
    "Base",
    "ChatChannel",
    "ChecklistItem",
    "ChecklistStatus",
    "ChronologyEntry",
    "ChronologyKind",
    "ChronologySource",
    "ConcernReview",
    "ConcernSeverity",
    "Contact",
    "ContactMethod",
    "ContactWith",
    "ConversationRef",
    "DayPlace",
    "DialogState",
    "InboundEvent",
    "KeyCanary",
    "NoticeRead",
    "NudgeSnooze",
    "ObjectiveProgress",
    "ObjectiveReview",
    "ObjectiveStatus",
    "OrgKind",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "PartTimeReview",
    "PartTimeTimetable",
    "PendingFile",
    "Person",
    "Placement",
    "PlacementChange",
    "PlacementChangeKind",
    "PlacementDay",
    "PlacementObjective",
    "PlacementStatus",
    "Pupil",
    "QaRating",
    "QaVisit",
    "QueuedTurn",
    "ReadingCursor",
    "ReasonForAp",
    "RegisterSession",
    "RegistrationStatus",
    "ReminderPreparation",
    "ReminderSweep",
    "ReviewDecision",
    "Role",
    "Site",
    "SiteKind",
    "TermBreakRecord",
    "WelfareCall",
    "WelfareCallAttempt",
    "WelfareCallParty",
    "WelfareCallStatus",
    "WelfareContact",
    "WelfareEscalation",
    "WelfareEscalationReason",
    "WelfareNextStep",
    "WorkspaceLink",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
]
