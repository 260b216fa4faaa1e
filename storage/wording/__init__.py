"""What the bot sends, word for word: every notice it sends on its own (not as a reply in a
conversation), in one place, for a DSL or a data protection officer to review.

- `nudges.py`: reminders the scheduler sends (overdue checks, QA visits, weekly contact, the
  morning register, no attendance report, welfare calls not done, missing-education risk), and
  the replies to a nudge's buttons;
- `alerts.py`: alerts to the commissioner's safeguarding leads (absences, welfare-call
  escalations, QA concerns, chronology updates, placements starting and ending);
- `provider_notices.py`: notices to a provider's staff (placement reference only, never a name);
- `digest.py`: the daily digest to DSLs and LA officers;
- `la_view.py`: the LA's view across its schools, and the provider-registration alert;
- `admin_notices.py`: notices to the bot's admins (audit log changed, refused Teams sign-in, a
  Slack workspace added or removed the app);
- `text.py`: how typed text is put into these sentences.

`NoticeKind` lists every kind of notice the outbox can hold; `WORDED_BY` says which functions
word each (a test checks that none is missing). Replies inside a conversation are worded by the
dialogs (`dialogs/`), and chat-platform messages by each channel (`bot/channels/*/wording.py`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from storage.wording import admin_notices, alerts, digest, la_view, nudges, provider_notices


class NoticeKind(enum.StrEnum):
    """Every kind of message the outbox can hold (`OutboxMessage.kind`)."""

    # Nudges (the scheduler's rules, `storage/rules/nudges.py`).
    check_overdue = "check_overdue"
    letter_of_assurance_missing = "letter_of_assurance_missing"
    qa_due = "qa_due"
    qa_overdue = "qa_overdue"
    contact_overdue = "contact_overdue"
    review_soon = "review_soon"
    ending_soon = "ending_soon"
    part_time_review = "part_time_review"
    part_time_ending = "part_time_ending"
    part_time_expired = "part_time_expired"
    register_prompt = "register_prompt"
    no_report = "no_report"
    no_report_dsl = "no_report_dsl"
    welfare_overdue = "welfare_overdue"
    cme_risk = "cme_risk"
    # A serious concern's review, not yet decided (urgent, until it is).
    review_undecided = "review_undecided"
    # Alerts and notices sent as something happens.
    absence_alert = "absence_alert"
    register_corrected = "register_corrected"
    welfare_call_task = "welfare_call_task"
    welfare_alert = "welfare_alert"
    code_proposed = "code_proposed"
    absence_update = "absence_update"
    chronology_update = "chronology_update"
    chronology_shared = "chronology_shared"
    # A serious concern: the safeguarding lead is asked to review the placement now.
    review_now = "review_now"
    qa_revisit = "qa_revisit"
    qa_concern = "qa_concern"
    placement_started = "placement_started"
    placement_ended = "placement_ended"
    placement_withdrawn = "placement_withdrawn"
    placement_changed = "placement_changed"
    pupil_neet = "pupil_neet"
    # To an LA's officers: an unregistered provider may need to register as a school.
    registration_needed = "registration_needed"
    # Each provider told which other providers are involved with the pupil.
    other_providers = "other_providers"
    # The daily digest.
    digest = "digest"
    # To admins.
    audit_chain_broken = "audit_chain_broken"
    identity_conflict = "identity_conflict"
    slack_workspace_installed = "slack_workspace_installed"
    slack_workspace_removed = "slack_workspace_removed"


WORDED_BY: dict[NoticeKind, tuple[Callable[..., Any], ...]] = {
    NoticeKind.check_overdue: (nudges.check_overdue,),
    NoticeKind.letter_of_assurance_missing: (nudges.letter_of_assurance_missing,),
    NoticeKind.qa_due: (nudges.qa_due_soon,),
    NoticeKind.qa_overdue: (nudges.qa_overdue,),
    NoticeKind.contact_overdue: (nudges.contact_overdue,),
    NoticeKind.review_soon: (nudges.review_soon,),
    NoticeKind.ending_soon: (nudges.ending_soon,),
    NoticeKind.part_time_review: (nudges.part_time_review_overdue,),
    NoticeKind.part_time_ending: (nudges.part_time_ending,),
    NoticeKind.part_time_expired: (nudges.part_time_expired,),
    NoticeKind.register_prompt: (nudges.register_prompt,),
    NoticeKind.no_report: (nudges.no_report_provider,),
    NoticeKind.no_report_dsl: (nudges.no_report_dsl,),
    NoticeKind.welfare_overdue: (nudges.welfare_overdue,),
    NoticeKind.cme_risk: (nudges.cme_risk,),
    NoticeKind.review_undecided: (nudges.review_undecided,),
    NoticeKind.absence_alert: (alerts.absence,),
    NoticeKind.register_corrected: (alerts.register_corrected,),
    NoticeKind.welfare_call_task: (
        provider_notices.welfare_call_task,
        alerts.welfare_call_task_school,
    ),
    NoticeKind.welfare_alert: (alerts.welfare_escalation,),
    NoticeKind.code_proposed: (alerts.code_proposed,),
    NoticeKind.absence_update: (alerts.arrived,),
    NoticeKind.chronology_update: (alerts.chronology_update, alerts.concern_logged),
    NoticeKind.review_now: (alerts.review_now,),
    NoticeKind.chronology_shared: (provider_notices.chronology_shared,),
    NoticeKind.qa_revisit: (alerts.qa_revisit,),
    NoticeKind.qa_concern: (alerts.qa_concern,),
    NoticeKind.placement_started: (provider_notices.placement_starts, alerts.placement_starts),
    NoticeKind.placement_ended: (provider_notices.placement_ends, alerts.placement_ended),
    NoticeKind.placement_withdrawn: (
        provider_notices.placement_withdrawn,
        alerts.placement_withdrawn,
    ),
    NoticeKind.placement_changed: (
        provider_notices.placement_changed,
        provider_notices.what_changed,
        alerts.placement_changed,
    ),
    NoticeKind.pupil_neet: (alerts.pupil_neet,),
    NoticeKind.registration_needed: (la_view.registration_needed,),
    NoticeKind.other_providers: (
        provider_notices.other_providers_involved,
        provider_notices.other_provider_left,
        alerts.now_part_time,
    ),
    NoticeKind.digest: (digest.heading,),
    NoticeKind.audit_chain_broken: (admin_notices.audit_chain_broken,),
    NoticeKind.identity_conflict: (admin_notices.teams_link_conflict,),
    NoticeKind.slack_workspace_installed: (admin_notices.slack_workspace_installed,),
    NoticeKind.slack_workspace_removed: (admin_notices.slack_workspace_removed,),
}
